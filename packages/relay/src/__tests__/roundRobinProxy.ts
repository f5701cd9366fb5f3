import { createServer, request } from 'node:http';

/** A load balancer for the tests: each request goes to the next target in turn, streamed. */
export interface RoundRobinProxy {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** How many requests each target got, in the order of `targets`. */
  readonly sent: number[];
  close(): Promise<void>;
}

export async function startRoundRobinProxy(targets: readonly string[]): Promise<RoundRobinProxy> {
  const sent = targets.map(() => 0);
  let turn = 0;
  const server = createServer((req, res) => {
    const index = turn++ % targets.length;
    sent[index]!++;
    const target = new URL(targets[index]!);
    const upstream = request(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        // SSE: every chunk goes on at once.
        res.flushHeaders();
        answer.pipe(res);
      },
    );
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    // The client went away: so does the upstream stream (the relay releases it).
    res.on('close', () => upstream.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    sent,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** An SSE client that records each count with the time it arrived. */
export function countStream(url: string) {
  const controller = new AbortController();
  const counts: { count: number; at: number }[] = [];
  const done = (async () => {
    const response = await fetch(url, { signal: controller.signal });
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    for (;;) {
      const chunk = await reader.read();
      if (chunk.done) return;
      buffer += decoder.decode(chunk.value, { stream: true });
      for (let end = buffer.indexOf('\n\n'); end !== -1; end = buffer.indexOf('\n\n')) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (block.startsWith('event: count') && data) {
          counts.push({ count: (JSON.parse(data) as { count: number }).count, at: Date.now() });
        }
      }
    }
  })().catch(() => undefined);
  return {
    counts,
    seen: (count: number) => counts.some((c) => c.count === count),
    close: async () => {
      controller.abort();
      await done;
    },
  };
}
