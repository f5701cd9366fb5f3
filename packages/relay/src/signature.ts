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
