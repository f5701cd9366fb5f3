import { createHmac } from 'node:crypto';
import { CrispState } from './crispState.js';
import { describeValue } from './ids.js';
import type { WebhookDelivery, WebhookEvent } from './types.js';

/** Signs a Crisp web hook body: hex HMAC-SHA256(secret, "[" + timestamp + ";" + body + "]"). */
export function signCrispWebhook(secret: string, timestamp: number | string, body: string): string {
  return createHmac('sha256', secret).update(`[${timestamp};${body}]`, 'utf8').digest('hex');
}

/** A checked target, its defaults filled in. */
export interface ResolvedTarget {
  url: string;
  secret: string | undefined;
  timestampUnit: 's' | 'ms';
  lateByMs: number;
}

/**
 * Checks a web hook target: an http URL on a loopback address, a non-empty secret or none
 * (Website Hooks), a timestamp unit and a lateness.
 */
export function checkWebhookTarget(target: unknown): ResolvedTarget | null {
  if (target === null) return null;
  if (typeof target !== 'object') {
    throw new TypeError(
      `crisp emulator: webhook must be { url, secret } or null, got ${describeValue(target)}`,
    );
  }
  const { url, secret, timestampUnit = 'ms', lateByMs = 0 } = target as Record<string, unknown>;
  let parsed: URL | undefined;
  try {
    parsed = typeof url === 'string' ? new URL(url) : undefined;
  } catch {
    parsed = undefined;
  }
  const host = parsed?.hostname.replace(/^\[|\]$/g, '');
  if (
    parsed?.protocol !== 'http:' ||
    !(host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host ?? ''))
  ) {
    // The emulator posts without being asked: it must not reach anything but this machine.
    throw new TypeError(
      `crisp emulator: webhook.url must be an http URL on a loopback address, got ${describeValue(url)}`,
    );
  }
  if (secret !== undefined && (typeof secret !== 'string' || secret === '')) {
    throw new TypeError(
      'crisp emulator: webhook.secret must be a non-empty string, or absent for Website Hooks',
    );
  }
  if (timestampUnit !== 's' && timestampUnit !== 'ms') {
    throw new TypeError(
      `crisp emulator: webhook.timestampUnit must be 's' or 'ms', got ${describeValue(timestampUnit)}`,
    );
  }
  if (typeof lateByMs !== 'number' || !Number.isFinite(lateByMs) || lateByMs < 0) {
    throw new TypeError(
      `crisp emulator: webhook.lateByMs must be a number >= 0, got ${describeValue(lateByMs)}`,
    );
  }
  return { url: parsed.href, secret, timestampUnit, lateByMs };
}

/** What a delivery sent, kept to post it again as Crisp's retry would. */
interface Sent {
  url: string;
  headers: Record<string, string>;
  body: string;
  about: Omit<WebhookDelivery, 'url' | 'status' | 'error' | 'at' | 'retry'>;
}

/** Posts signed web hooks, one per state change, and keeps a log of deliveries. */
export class WebhookSender {
  #target: ResolvedTarget | null;
  readonly #websiteTargets = new Map<string, ResolvedTarget>();
  // Every hook sent, for `redeliver` (a test's worth: the oldest go past a few thousand).
  readonly #sent: Sent[] = [];
  readonly #now: () => number;
  readonly #pending = new Set<Promise<void>>();
  readonly #controller = new AbortController();
  #log: WebhookDelivery[] = [];
  #fingerprint = 0;

  constructor(target: ResolvedTarget | null, now: () => number) {
    this.#target = target;
    this.#now = now;
  }

  /** Sets the emulator-wide target, or with a website id that website's own (`null` drops it). */
  set(target: ResolvedTarget | null, websiteId?: string): void {
    if (websiteId === undefined) this.#target = target;
    else if (target === null) this.#websiteTargets.delete(websiteId);
    else this.#websiteTargets.set(websiteId, target);
  }

  get log(): readonly WebhookDelivery[] {
    return [...this.#log];
  }

  clear(): void {
    this.#log = [];
  }

  async settled(): Promise<readonly WebhookDelivery[]> {
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
    return this.log;
  }

  close(): void {
    this.#controller.abort();
  }

  send(websiteId: string, sessionId: string, event: WebhookEvent): void {
    const target = this.#websiteTargets.get(websiteId) ?? this.#target;
    if (!target || this.#controller.signal.aborted) return;
    const at = this.#now() - target.lateByMs;
    const timestamp = target.timestampUnit === 's' ? Math.floor(at / 1000) : at;
    const body = JSON.stringify({
      website_id: websiteId,
      event,
      data: { website_id: websiteId, session_id: sessionId, ...this.#payload(event, at) },
      timestamp,
    });
    const headers: Record<string, string> = {
      'Content-Type': 'application/json',
      'X-Crisp-Request-Timestamp': String(timestamp),
    };
    // Website Hooks are not signed: the receiver trusts the token in its own URL.
    if (target.secret !== undefined) {
      headers['X-Crisp-Signature'] = signCrispWebhook(target.secret, timestamp, body);
    }
    const sent: Sent = {
      url: target.url,
      headers,
      body,
      about: { event, websiteId, sessionId, timestamp, signed: target.secret !== undefined },
    };
    this.#sent.push(sent);
    if (this.#sent.length > 5000) this.#sent.shift();
    this.#track(this.#deliver(sent, false));
  }

  /** Posts the matching hooks sent so far again, byte for byte; resolves once answered. */
  async redeliver(
    filter: Partial<Pick<WebhookDelivery, 'event' | 'sessionId' | 'websiteId'>> = {},
  ): Promise<readonly WebhookDelivery[]> {
    const matching = this.#sent.filter(({ about }) =>
      (['event', 'sessionId', 'websiteId'] as const).every(
        (field) => filter[field] === undefined || filter[field] === about[field],
      ),
    );
    const before = this.#log.length;
    // To the URL configured now, as Crisp would (behind a load balancer: maybe another instance).
    const now = (sent: Sent): Sent => {
      const target = this.#websiteTargets.get(sent.about.websiteId) ?? this.#target;
      return target ? { ...sent, url: target.url } : sent;
    };
    await Promise.all(matching.map((sent) => this.#track(this.#deliver(now(sent), true))));
    return this.#log.slice(before);
  }

  #track(delivery: Promise<void>): Promise<void> {
    this.#pending.add(delivery);
    delivery.finally(() => this.#pending.delete(delivery));
    return delivery;
  }

  async #deliver({ url, headers, body, about }: Sent, retry: boolean): Promise<void> {
    const at = Date.now();
    let status = 0;
    let error: string | null = null;
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers,
        body,
        signal: AbortSignal.any([this.#controller.signal, AbortSignal.timeout(10_000)]),
      });
      await response.arrayBuffer();
      status = response.status;
    } catch (cause) {
      error = cause instanceof Error ? cause.message : 'delivery failed';
    }
    this.#log.push(Object.freeze({ ...about, url, status, error, at, retry }));
  }

  #payload(event: WebhookEvent, timestamp: number): Record<string, unknown> {
    if (event === 'session:removed') return {};
    if (event === 'message:acknowledge:read:received') {
      return { origin: 'chat', fingerprints: [] };
    }
    const from = event === 'message:received' ? 'operator' : 'user';
    return {
      type: 'text',
      from,
      origin: 'chat',
      content: from === 'operator' ? 'A message from the emulated operator' : 'A visitor message',
      fingerprint: timestamp * 1000 + (++this.#fingerprint % 1000),
      timestamp,
    };
  }
}

/** The conversation state, posting a web hook after each change it makes. */
export class WebhookingState extends CrispState {
  readonly #sender: WebhookSender;

  constructor(
    now: () => number,
    conversationTemplate: Record<string, unknown>,
    sender: WebhookSender,
  ) {
    super(now, conversationTemplate);
    this.#sender = sender;
  }

  override operatorSends(websiteId: string, sessionId: string, count = 1): number {
    const unread = super.operatorSends(websiteId, sessionId, count);
    // One hook per message, as Crisp sends them.
    for (let i = 0; i < count; i++) this.#sender.send(websiteId, sessionId, 'message:received');
    return unread;
  }

  override visitorSends(websiteId: string, sessionId: string, count = 1): number {
    const unread = super.visitorSends(websiteId, sessionId, count);
    for (let i = 0; i < count; i++) this.#sender.send(websiteId, sessionId, 'message:send');
    return unread;
  }

  override deleteSession(websiteId: string, sessionId: string): void {
    super.deleteSession(websiteId, sessionId);
    this.#sender.send(websiteId, sessionId, 'session:removed');
  }

  override visitorReads(websiteId: string, sessionId: string): void {
    const before = this.unreadOf(websiteId, sessionId);
    super.visitorReads(websiteId, sessionId);
    if (before !== 0) this.#sender.send(websiteId, sessionId, 'message:acknowledge:read:received');
  }
}
