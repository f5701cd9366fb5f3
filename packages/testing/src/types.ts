/** Options of `startCrispEmulator`. */
export interface CrispEmulatorOptions {
  /**
   * The TCP port to listen on; `0` picks a free ephemeral port (read it back from `url`).
   * Defaults to `0`.
   */
  port?: number;
  /**
   * The loopback address to listen on (`127.0.0.1`, another `127.x.y.z`, `::1` or `localhost`).
   * Any other address is refused: the emulator hands out keys without authentication.
   * Defaults to `'127.0.0.1'`.
   */
  hostname?: string;
  /**
   * API calls allowed per website per UTC day; past it every API call for that website answers
   * 429 with the rate-limited fixture body and no `Retry-After`.
   * Defaults to `5000` (Crisp's plugin token quota).
   */
  dailyQuota?: number;
  /**
   * Answer CORS preflights and add `Access-Control-Allow-Origin: *` to every answer, so a page
   * served from another origin can call the emulator.
   * Defaults to `true`.
   */
  cors?: boolean;
  /**
   * The clock used for quota days and conversation timestamps, in epoch milliseconds.
   * Defaults to `Date.now`.
   */
  now?: () => number;
  /**
   * Where to post signed Crisp web hooks when `operatorSends`, `visitorSends`, `visitorReads` or
   * `PATCH …/read` change a conversation (loopback URLs only), or `null` for none.
   * Change it later with `setWebhook`. Defaults to `null`.
   */
  webhook?: WebhookTarget | null;
}

/**
 * Where the emulator posts web hooks, and how: a Plugin Hook signed with `secret`, or (without
 * one) an unsigned Website Hook, which a receiver can only authenticate by a token in its `url`
 * (`…/webhooks/crisp?token=…`).
 */
export interface WebhookTarget {
  /** An `http:` URL on a loopback address, e.g. `http://127.0.0.1:8787/webhooks/crisp`. */
  url: string;
  /**
   * The Plugin Hook signing secret (`X-Crisp-Signature` is an HMAC-SHA256 with it). Without it
   * the hooks are Website Hooks: no `X-Crisp-Signature` header at all. Defaults to none.
   */
  secret?: string | undefined;
  /**
   * The unit of `X-Crisp-Request-Timestamp` and of the body's `timestamp` (Crisp does not
   * document it; its examples are in milliseconds). Defaults to `'ms'`.
   */
  timestampUnit?: 's' | 'ms' | undefined;
  /**
   * Plays late deliveries: each hook is stamped this long before the change, as when Crisp
   * delivers or retries it that late. Defaults to `0`.
   */
  lateByMs?: number | undefined;
}

/**
 * The web hook events the emulator sends: an operator's message (`message:received`), a
 * visitor's message (`message:send`), the visitor reading (`message:acknowledge:read:received`)
 * and a conversation deleted (`session:removed`).
 */
export type WebhookEvent =
  | 'message:received'
  | 'message:send'
  | 'message:acknowledge:read:received'
  | 'session:removed';

/** Options of `CrispEmulator.setWebhook`. */
export interface SetWebhookOptions {
  /** Set the target of this website only (a website created on this emulator). Defaults to every website. */
  websiteId?: string;
}

/** One web hook the emulator posted. */
export interface WebhookDelivery {
  event: WebhookEvent;
  websiteId: string;
  sessionId: string;
  /** The URL it was posted to. */
  url: string;
  /** The status the receiver answered, or `0` when the delivery failed (see `error`). */
  status: number;
  /** Why the delivery failed, or `null`. */
  error: string | null;
  /** `Date.now()` when the delivery started. */
  at: number;
  /** The `X-Crisp-Request-Timestamp` sent, in the target's `timestampUnit`. */
  timestamp: number;
  /** Whether it was signed (a Plugin Hook) rather than a Website Hook. */
  signed: boolean;
  /** Whether this was a retry (`redeliverWebhooks`): the very bytes and headers of an earlier one. */
  retry: boolean;
}

/** A Crisp website known to the emulator, with the token that may read it. */
export interface EmulatedWebsite {
  /** The website id, a UUID. */
  websiteId: string;
  /** The token identifier (the Basic auth user name). */
  identifier: string;
  /** The token key (the Basic auth password), 8 or more non-space characters. A throwaway test key. */
  key: string;
  /** The token tier the client must send as `X-Crisp-Tier`. */
  tier: 'plugin' | 'website' | 'user';
}

/** Options of `CrispEmulator.createSession`. */
export interface CreateSessionOptions {
  /** The session id, `session_` and a UUID. Defaults to a random one. */
  sessionId?: string | undefined;
  /** The visitor's initial unread count (`data.unread.visitor`). Defaults to `0`. */
  unread?: number | undefined;
  /**
   * Serve the conversation without an `unread` object, as Crisp may. The first
   * `operatorSends` or `visitorSends` creates it. Defaults to `false`.
   */
  omitUnread?: boolean | undefined;
}

/** A failure the emulator answers with instead of the normal answer. */
export type Fault =
  /** Wait `ms` milliseconds, then answer normally. */
  | { type: 'latency'; ms: number }
  /** A Crisp JSON error envelope `{"error":true,"reason":"server_error","data":{}}`; status defaults to 500. */
  | { type: 'server-error'; status?: number | undefined }
  /**
   * The rate-limited fixture body; status defaults to 429. A numeric `retryAfter` is sent as
   * `Retry-After: <seconds>`, a string verbatim (for example an HTTP date).
   */
  | { type: 'rate-limit'; status?: 420 | 429 | undefined; retryAfter?: number | string | undefined }
  /** The `error-502.html` fixture as `text/html`; status defaults to 502. */
  | { type: 'html'; status?: number | undefined }
  /** HTTP 200, `application/json`, the first half of a valid conversation body. */
  | { type: 'truncated-json' }
  /** Destroy the socket without answering. */
  | { type: 'drop' }
  /** Never answer (until `close()`). */
  | { type: 'hang' }
  /** Answer with this exact JSON; status defaults to 200. */
  | { type: 'body'; status?: number | undefined; body: unknown };

/** Which API requests a fault applies to, and how many times. */
export interface FaultOptions {
  /** How many matching requests the fault answers. Defaults to every one until cleared. */
  times?: number;
  /** Only requests for this session. Defaults to any request. */
  sessionId?: string;
  /** Only requests with this method. Defaults to any method. */
  method?: 'GET' | 'HEAD' | 'PATCH';
}

/** A handle on one added fault. */
export interface FaultHandle {
  /** Removes the fault if it is still active. */
  clear(): void;
}

/** One API call in the emulator's request log. Never contains the key. */
export interface EmulatorRequest {
  /** The HTTP method. */
  method: string;
  /** The URL path, without the query string. */
  path: string;
  /** The website id segment of the path, or `null` when the path has none. */
  websiteId: string | null;
  /** The session id segment of the path, or `null` when the path has none. */
  sessionId: string | null;
  /** The status answered, or `0` when the connection was dropped or closed before an answer. */
  status: number;
  /** The `X-Crisp-Tier` header, or `null` when absent. */
  tier: string | null;
  /** Whether the Basic credentials matched a website's token (any website). */
  authorized: boolean;
  /** The fault applied to this request, or `null`. */
  fault: Fault['type'] | null;
  /** `Date.now()` when the request was received. */
  at: number;
}

/** A filter of `CrispEmulator.requestCount`; every given field must match. */
export interface RequestFilter {
  method?: string;
  websiteId?: string;
  sessionId?: string;
  status?: number;
}

/** A running Crisp REST API emulator. */
export interface CrispEmulator {
  /** The base URL, for example `http://127.0.0.1:43123` (no trailing slash). */
  readonly url: string;
  /** Stops the server and destroys open connections (keep-alive, hung requests). Idempotent. */
  close(): Promise<void>;
  /** Adds a website; omitted fields are random (UUID id, UUID identifier, 64-hex key, tier `plugin`). */
  createWebsite(options?: Partial<EmulatedWebsite>): EmulatedWebsite;
  /**
   * What a client of this emulator needs for a website: its id, token and tier, and `baseUrl`
   * pointing here. Spread it into `crispRest({ ... })` or `createUnreadRelay({ ... })`.
   */
  restOptions(website: EmulatedWebsite): EmulatedWebsite & { baseUrl: string };
  /** Adds a session (conversation) to a website and returns its id. */
  createSession(websiteId: string, options?: CreateSessionOptions): string;
  /** Removes a session: later API calls for it answer 404 and a `session:removed` hook is posted. */
  deleteSession(websiteId: string, sessionId: string): void;
  /**
   * Plays the plugin not being installed on a website (`false`): every API call for it then
   * answers 404 `not_subscribed` after the credential checks, as Crisp does. `true` undoes it.
   */
  setSubscribed(websiteId: string, subscribed: boolean): void;
  /**
   * Plays Crisp's cache layer: after each change of a conversation, its next `reads` GETs answer
   * the conversation as it was before the change, with `Bloom-Status: HIT` (`0`, the default,
   * for none). Other answers say `Bloom-Status: MISS`.
   */
  setCacheHits(reads: number): void;
  /** An operator sends `count` messages (default 1): returns the new `unread.visitor`. */
  operatorSends(websiteId: string, sessionId: string, count?: number): number;
  /** The visitor sends `count` messages (default 1): returns the new `unread.operator`. */
  visitorSends(websiteId: string, sessionId: string, count?: number): number;
  /** The visitor reads the operator's messages: `unread.visitor` becomes 0. */
  visitorReads(websiteId: string, sessionId: string): void;
  /** The current `unread.visitor` (0 when the conversation has no `unread` object). */
  unreadOf(websiteId: string, sessionId: string): number;
  /** Adds a fault; faults apply first added, first applied. */
  fault(fault: Fault, options?: FaultOptions): FaultHandle;
  /** Removes every fault. */
  clearFaults(): void;
  /** The log of API calls answered so far (not control calls, not preflights). A copy. */
  readonly requests: readonly EmulatorRequest[];
  /** How many logged API calls match the filter. */
  requestCount(filter?: RequestFilter): number;
  /** Empties the request log. */
  clearRequests(): void;
  /** Changes the daily quota of every website. */
  setDailyQuota(limit: number): void;
  /** Forgets the requests counted against every website's quota. */
  resetQuota(): void;
  /** Calls `listener` after each logged API call is answered; returns the unsubscribe function. */
  onRequest(listener: (entry: EmulatorRequest) => void): () => void;
  /**
   * Starts (or with `null` stops) posting signed web hooks on conversation changes. With
   * `{ websiteId }` it sets that website's own target, which wins over the emulator-wide one;
   * `null` then drops the website's own target.
   */
  setWebhook(target: WebhookTarget | null, options?: SetWebhookOptions): void;
  /** The web hooks delivered so far, with the receiver's status. A copy. */
  readonly webhookDeliveries: readonly WebhookDelivery[];
  /** Resolves once every web hook posted so far has been answered (or failed), with the log. */
  webhooksDelivered(): Promise<readonly WebhookDelivery[]>;
  /** Empties the web hook delivery log. */
  clearWebhookDeliveries(): void;
  /**
   * Plays Crisp retrying: posts again every logged web hook that matches (by default all), with
   * its very bytes and headers (the same timestamp and signature), to its website's web hook URL
   * as set now (the one it went to, when none is). Resolves once answered.
   */
  redeliverWebhooks(
    filter?: Partial<Pick<WebhookDelivery, 'event' | 'sessionId' | 'websiteId'>>,
  ): Promise<readonly WebhookDelivery[]>;
}
