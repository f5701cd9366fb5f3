import { randomBytes, randomUUID } from 'node:crypto';
import { describeValue, isSessionId, isWebsiteId, newSessionId } from './ids.js';
import type { CreateSessionOptions, EmulatedWebsite } from './types.js';

interface Unread {
  operator: number;
  visitor: number;
}

interface Session {
  sessionId: string;
  unread: Unread | null;
  createdAt: number;
  updatedAt: number;
  /** What Crisp's cache still serves after the last change, and for how many more reads. */
  cached?: { unread: Unread | null; updatedAt: number; reads: number } | undefined;
}

interface Website extends EmulatedWebsite {
  sessions: Map<string, Session>;
}

const tiers: ReadonlySet<string> = new Set<EmulatedWebsite['tier']>(['plugin', 'website', 'user']);

/** Websites, their tokens and their conversations' unread counts. */
export class CrispState {
  readonly #websites = new Map<string, Website>();
  readonly #now: () => number;
  readonly #template: Record<string, unknown>;
  readonly #unsubscribed = new Set<string>();
  #cacheHits = 0;

  constructor(now: () => number, conversationTemplate: Record<string, unknown>) {
    this.#now = now;
    this.#template = conversationTemplate;
  }

  websites(): IterableIterator<EmulatedWebsite> {
    return this.#websites.values();
  }

  website(websiteId: string): EmulatedWebsite | undefined {
    return this.#websites.get(websiteId);
  }

  createWebsite(options: Partial<EmulatedWebsite> = {}): EmulatedWebsite {
    const websiteId = options.websiteId ?? randomUUID();
    const identifier = options.identifier ?? randomUUID();
    const key = options.key ?? randomBytes(32).toString('hex');
    const tier = options.tier ?? 'plugin';
    if (!isWebsiteId(websiteId)) fail('websiteId', 'a UUID', options.websiteId);
    if (this.#websites.has(websiteId)) fail('websiteId', 'a website id not yet used', websiteId);
    if (typeof identifier !== 'string' || !/^[^:\s]+$/.test(identifier)) {
      fail('identifier', 'a non-empty string without ":" or spaces', identifier);
    }
    // The key itself is never echoed, even in an error.
    // 8 characters at least, so redacting keys from the request log cannot mangle ids.
    if (typeof key !== 'string' || !/^\S{8,}$/.test(key)) {
      throw new TypeError('createWebsite: key must be a string of 8 or more non-space characters');
    }
    if (!tiers.has(tier)) fail('tier', "'plugin', 'website' or 'user'", tier);
    const website: Website = { websiteId, identifier, key, tier, sessions: new Map() };
    this.#websites.set(websiteId, website);
    return { websiteId, identifier, key, tier };
  }

  createSession(websiteId: string, options: CreateSessionOptions = {}): string {
    const website = this.#requireWebsite(websiteId);
    const sessionId = options.sessionId ?? newSessionId();
    if (!isSessionId(sessionId)) fail('sessionId', "'session_' and a UUID", options.sessionId);
    if (website.sessions.has(sessionId)) fail('sessionId', 'a session id not yet used', sessionId);
    const unread = options.unread ?? 0;
    assertCount('unread', unread, 0);
    const at = this.#now();
    website.sessions.set(sessionId, {
      sessionId,
      unread: options.omitUnread ? null : { operator: 0, visitor: unread },
      createdAt: at,
      updatedAt: at,
    });
    return sessionId;
  }

  deleteSession(websiteId: string, sessionId: string): void {
    const website = this.#requireWebsite(websiteId);
    if (!website.sessions.delete(sessionId)) {
      fail('sessionId', 'an existing session of this website', sessionId);
    }
  }

  /** `false` plays the plugin not installed on the website: Crisp answers `not_subscribed`. */
  setSubscribed(websiteId: string, subscribed: boolean): void {
    this.#requireWebsite(websiteId);
    if (typeof subscribed !== 'boolean') fail('subscribed', 'a boolean', subscribed);
    if (subscribed) this.#unsubscribed.delete(websiteId);
    else this.#unsubscribed.add(websiteId);
  }

  isSubscribed(websiteId: string): boolean {
    return !this.#unsubscribed.has(websiteId);
  }

  /** How many reads after each change Crisp's cache answers the conversation as it was before. */
  setCacheHits(reads: number): void {
    assertCount('reads', reads, 0);
    this.#cacheHits = reads;
  }

  hasSession(websiteId: string, sessionId: string): boolean {
    return this.#websites.get(websiteId)?.sessions.has(sessionId) ?? false;
  }

  operatorSends(websiteId: string, sessionId: string, count = 1): number {
    // The operator's messages are unread by the visitor: `unread.visitor`.
    return this.#addUnread(websiteId, sessionId, 'visitor', count);
  }

  visitorSends(websiteId: string, sessionId: string, count = 1): number {
    return this.#addUnread(websiteId, sessionId, 'operator', count);
  }

  /** Adds `count` messages unread by `reader`; returns that reader's new unread count. */
  #addUnread(
    websiteId: string,
    sessionId: string,
    reader: 'visitor' | 'operator',
    count: number,
  ): number {
    assertCount('count', count, 1);
    const session = this.#requireSession(websiteId, sessionId);
    const before = { unread: session.unread, updatedAt: session.updatedAt };
    const unread = session.unread ?? { operator: 0, visitor: 0 };
    session.unread = { ...unread, [reader]: unread[reader] + count };
    this.#touch(session, before);
    return session.unread[reader];
  }

  /** The visitor read the operator's messages (`from: "operator"`). */
  visitorReads(websiteId: string, sessionId: string): void {
    this.#markRead(this.#requireSession(websiteId, sessionId), 'visitor');
  }

  /** An operator read the visitor's messages (`from: "user"`). */
  operatorReads(websiteId: string, sessionId: string): void {
    this.#markRead(this.#requireSession(websiteId, sessionId), 'operator');
  }

  unreadOf(websiteId: string, sessionId: string): number {
    return this.#requireSession(websiteId, sessionId).unread?.visitor ?? 0;
  }

  /**
   * The conversation as Crisp's `data`, or the fixture's shape with these ids when unknown. With
   * `{ cache: true }` (a GET) it may be the answer Crisp's cache still holds: `hit` says so.
   */
  conversation(
    websiteId: string,
    sessionId: string,
    options: { cache?: boolean } = {},
  ): Record<string, unknown> {
    return this.#answer(websiteId, sessionId, options).data;
  }

  /** A GET's answer: the conversation, and whether Crisp's cache served it (`Bloom-Status`). */
  read(websiteId: string, sessionId: string): { data: Record<string, unknown>; hit: boolean } {
    return this.#answer(websiteId, sessionId, { cache: true });
  }

  #answer(websiteId: string, sessionId: string, { cache = false }: { cache?: boolean }) {
    const conversation = structuredClone(this.#template);
    conversation.website_id = websiteId;
    conversation.session_id = sessionId;
    const session = this.#websites.get(websiteId)?.sessions.get(sessionId);
    if (!session) return { data: conversation, hit: false };
    let { unread, updatedAt } = session;
    const hit = cache && session.cached !== undefined && session.cached.reads > 0;
    if (hit && session.cached) {
      session.cached.reads -= 1;
      ({ unread, updatedAt } = session.cached);
    }
    if (unread) conversation.unread = { ...unread };
    else delete conversation.unread;
    conversation.created_at = session.createdAt;
    conversation.updated_at = updatedAt;
    return { data: conversation, hit };
  }

  #markRead(session: Session, side: keyof Unread): void {
    if (!session.unread || session.unread[side] === 0) return;
    const before = { unread: session.unread, updatedAt: session.updatedAt };
    session.unread = { ...session.unread, [side]: 0 };
    this.#touch(session, before);
  }

  // A fixed test clock must still make updated_at move when a count changes.
  #touch(session: Session, before: Pick<Session, 'unread' | 'updatedAt'>): void {
    if (this.#cacheHits > 0) session.cached = { ...before, reads: this.#cacheHits };
    session.updatedAt = Math.max(this.#now(), session.updatedAt + 1);
  }

  #requireWebsite(websiteId: string): Website {
    const website = typeof websiteId === 'string' && this.#websites.get(websiteId);
    if (!website) fail('websiteId', 'the id of a website created on this emulator', websiteId);
    return website;
  }

  #requireSession(websiteId: string, sessionId: string): Session {
    const website = this.#requireWebsite(websiteId);
    const session = typeof sessionId === 'string' && website.sessions.get(sessionId);
    if (!session) fail('sessionId', 'an existing session of this website', sessionId);
    return session;
  }
}

// Not core's `misconfigured`: the emulator stands in for Crisp and must not depend on core, the
// code it tests; its errors are plain TypeErrors about the emulator's own options.
function fail(option: string, expected: string, value: unknown): never {
  throw new TypeError(`crisp emulator: ${option} must be ${expected}, got ${describeValue(value)}`);
}

function assertCount(option: string, value: unknown, min: number): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    fail(option, `an integer >= ${min}`, value);
  }
}
