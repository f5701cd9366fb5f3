import type { IncomingMessage, ServerResponse } from 'node:http';

const maxBodyBytes = 1_048_576;

/** Reads a request body as UTF-8; resolves `null` when it exceeds 1 MiB. */
export function readBody(req: IncomingMessage): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBodyBytes) chunks.push(chunk);
    });
    req.on('end', () =>
      resolve(size > maxBodyBytes ? null : Buffer.concat(chunks).toString('utf8')),
    );
    req.on('error', reject);
  });
}

/** Parses a JSON request body; an empty body is `undefined`, a malformed one throws. */
export function parseJsonBody(text: string | null): unknown {
  if (text === null) throw new SyntaxError('request body too large');
  if (text.trim() === '') return undefined;
  return JSON.parse(text);
}

/** Adds the CORS headers that let a page on any origin call the emulator. */
export function applyCors(req: IncomingMessage, res: ServerResponse): void {
  res.setHeader('Access-Control-Allow-Origin', '*');
  res.setHeader('Access-Control-Expose-Headers', 'Retry-After, Bloom-Status');
  if (req.method === 'OPTIONS') {
    res.setHeader('Access-Control-Allow-Methods', 'GET, HEAD, PATCH, POST, PUT, DELETE, OPTIONS');
    res.setHeader('Access-Control-Allow-Headers', 'Authorization, X-Crisp-Tier, Content-Type');
    res.setHeader('Access-Control-Max-Age', '600');
    // Chrome's Private Network Access preflight, for pages served from a public origin.
    if (req.headers['access-control-request-private-network'] === 'true') {
      res.setHeader('Access-Control-Allow-Private-Network', 'true');
    }
  }
}

/** Ends a response with a body of a given content type. */
export function send(
  res: ServerResponse,
  status: number,
  contentType: string,
  body: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, {
    ...headers,
    'Content-Type': contentType,
    'Content-Length': String(Buffer.byteLength(body)),
    'Cache-Control': 'no-store',
  });
  res.end(body);
}

/** Ends a response with a JSON body. */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(body), headers);
}
