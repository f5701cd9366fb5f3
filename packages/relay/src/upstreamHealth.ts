import type { UpstreamFailure } from './types';

/**
 * What the relay last learnt of Crisp: `ok` once it answered, a setup error it keeps until Crisp
 * answers again (`not-subscribed`: the plugin is not installed on the website; `unauthorized` /
 * `forbidden`: the relay's own key refused), or `failing` (outage, timeouts, rate limits).
 * `unknown` before the first call.
 */
export type UpstreamStatus =
  | 'unknown'
  | 'ok'
  | 'not-subscribed'
  | 'unauthorized'
  | 'forbidden'
  | 'failing';

/** `GET /healthz`'s `upstream`. Secret-free. */
export interface UpstreamReport {
  readonly status: UpstreamStatus;
  /** The last failed call: its code, HTTP status and when (epoch ms); `null` before one. */
  readonly lastError: {
    readonly code: string;
    readonly status: number | null;
    readonly at: number;
  } | null;
  /** When Crisp last answered a read (a count or a missing session), or `null`. */
  readonly lastOkAt: number | null;
}

/** The relay's failure code for Crisp's 404 `not_subscribed` (core says `misconfigured`, 404). */
export function isNotSubscribed(failure: UpstreamFailure): boolean {
  return failure.code === 'misconfigured' && failure.status === 404;
}

const setupHints: Partial<Record<UpstreamStatus, string>> = {
  'not-subscribed':
    'Crisp answers 404 not_subscribed: the plugin is not installed on this website (install it from the Marketplace, or check CRISP_WEBSITE_ID)',
  unauthorized: 'Crisp refused the REST key (401): check CRISP_IDENTIFIER and CRISP_KEY',
  forbidden:
    'Crisp refused the REST token here (403): check CRISP_TIER (plugin or website) and that the token belongs to this website',
};

/**
 * The upstream half of `/healthz`, fed by every call the relay makes to Crisp. A setup error is
 * logged once when it starts (not once per request: every read fails the same way), and again
 * only after Crisp answered in between.
 */
export class UpstreamHealth {
  #status: UpstreamStatus = 'unknown';
  #lastError: UpstreamReport['lastError'] = null;
  #lastOkAt: number | null = null;
  readonly #log: (line: string) => void;

  constructor(log: (line: string) => void) {
    this.#log = log;
  }

  /** Crisp answered at `at` (a count, or a definite missing session). */
  answered(at: number): void {
    this.#status = 'ok';
    this.#lastOkAt = at;
  }

  /** A call failed at `at`. `true` for a setup error (this health logs those, once). */
  failed(failure: UpstreamFailure, at: number): boolean {
    const status: UpstreamStatus = isNotSubscribed(failure)
      ? 'not-subscribed'
      : failure.code === 'unauthorized' || failure.code === 'forbidden'
        ? failure.code
        : 'failing';
    this.#lastError = { code: failure.code, status: failure.status ?? null, at };
    const hint = setupHints[status];
    if (hint && status !== this.#status) this.#log(`crisp-unread relay: ${hint}.`);
    this.#status = status;
    return hint !== undefined;
  }

  report(): UpstreamReport {
    return { status: this.#status, lastError: this.#lastError, lastOkAt: this.#lastOkAt };
  }
}
