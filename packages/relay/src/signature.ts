const encoder = new TextEncoder();
const keys = new Map<string, Promise<CryptoKey>>();

function hmacKey(secret: string): Promise<CryptoKey> {
  let key = keys.get(secret);
  if (!key) {
    key = crypto.subtle.importKey(
      'raw',
      encoder.encode(secret),
      { name: 'HMAC', hash: 'SHA-256' },
      false,
      ['sign', 'verify'],
    );
    // One relay holds one secret; the cap only guards against misuse.
    if (keys.size > 16) keys.clear();
    keys.set(secret, key);
  }
  return key;
}

/** What Crisp signs: `"[" + timestamp + ";" + JSON.stringify(body) + "]"`. */
function signedText(timestamp: string, body: unknown): Uint8Array<ArrayBuffer> {
  return encoder.encode(`[${timestamp};${JSON.stringify(body)}]`);
}

/** The hex HMAC-SHA256 signature Crisp puts in `X-Crisp-Signature`. Web Crypto: any runtime. */
export async function signCrispWebhook(
  secret: string,
  timestamp: string | number,
  body: unknown,
): Promise<string> {
  const mac = await crypto.subtle.sign(
    'HMAC',
    await hmacKey(secret),
    signedText(String(timestamp), body),
  );
  return [...new Uint8Array(mac)].map((byte) => byte.toString(16).padStart(2, '0')).join('');
}

/**
 * Checks an `X-Crisp-Signature`. `crypto.subtle.verify` compares in constant time, unlike `===`
 * on two hex strings.
 */
export async function verifyCrispSignature(
  secret: string,
  timestamp: string,
  body: unknown,
  signature: string,
): Promise<boolean> {
  const bytes = hexBytes(signature);
  if (!bytes) return false;
  return crypto.subtle.verify('HMAC', await hmacKey(secret), bytes, signedText(timestamp, body));
}

/**
 * Checks an `X-Crisp-Signature` against the body's bytes as received: `"[" + timestamp + ";"`,
 * the bytes, `"]"`. Nothing is parsed, so no nesting or size of the body can make it throw.
 */
export async function verifyCrispSignatureBytes(
  secret: string,
  timestamp: string,
  body: Uint8Array,
  signature: string,
): Promise<boolean> {
  const mac = hexBytes(signature);
  if (!mac) return false;
  const head = encoder.encode(`[${timestamp};`);
  const signed = new Uint8Array(head.byteLength + body.byteLength + 1);
  signed.set(head, 0);
  signed.set(body, head.byteLength);
  signed[signed.byteLength - 1] = 0x5d; // ']'
  return crypto.subtle.verify('HMAC', await hmacKey(secret), mac, signed);
}

function hexBytes(hex: string): Uint8Array<ArrayBuffer> | null {
  if (!/^[0-9a-f]{64}$/i.test(hex)) return null;
  const bytes = new Uint8Array(32);
  for (let i = 0; i < 32; i++) bytes[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return bytes;
}

/**
 * Whether a web hook URL's `?token=` is `expected`, in constant time: both are hashed first (so
 * neither length nor a common prefix shows in the time taken) and the digests compared with no
 * early exit. Web Crypto has no timing-safe compare, and `timingSafeEqual` is Node's only.
 */
export async function tokensMatch(given: string, expected: string): Promise<boolean> {
  const [a, b] = await Promise.all([
    crypto.subtle.digest('SHA-256', encoder.encode(given)),
    crypto.subtle.digest('SHA-256', encoder.encode(expected)),
  ]);
  const x = new Uint8Array(a);
  const y = new Uint8Array(b);
  let difference = 0;
  for (let i = 0; i < x.length; i++) difference |= (x[i] as number) ^ (y[i] as number);
  return difference === 0;
}

/** A hex SHA-256 of a web hook's timestamp and bytes: the replay key of an unsigned hook. */
export async function hookDigest(timestamp: string, bytes: Uint8Array): Promise<string> {
  const head = encoder.encode(`${timestamp};`);
  const all = new Uint8Array(head.byteLength + bytes.byteLength);
  all.set(head, 0);
  all.set(bytes, head.byteLength);
  const digest = await crypto.subtle.digest('SHA-256', all);
  return [...new Uint8Array(digest)].map((byte) => byte.toString(16).padStart(2, '0')).join('');
}
