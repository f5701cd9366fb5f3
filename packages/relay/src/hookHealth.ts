/** Why the relay refused a web hook (`/healthz`'s `hooks.rejected`). */
export type HookRejection =
  /** `X-Crisp-Signature` missing or not matching `webhookSecret`. */
  | 'signature'
  /** The URL's `?token=` missing or not matching `webhookToken`. */
  | 'token'
  /** The timestamp unreadable, or further from the relay's clock than `webhookToleranceMs`. */
  | 'timestamp'
  /** Not JSON, or unreadable. */
  | 'body'
  /** For another website than the relay's. */
  | 'website'
  /** Already taken (Crisp's retry, or a replay): acknowledged, not acted on. */
  | 'duplicate'
  /** The client's bucket of failed authentications is empty (429). */
  | 'limited'
  /** Over `maxWebhookBytes` (413). */
  | 'size';

const rejections: readonly HookRejection[] = [
  'signature',
  'token',
  'timestamp',
  'body',
  'website',
  'duplicate',
  'limited',
  'size',
];

/** `GET /healthz`'s `hooks`. Secret-free. */
export interface HookReport {
  /** Hooks taken (authenticated, in time, new, for this website). */
  readonly accepted: number;
  readonly rejected: Readonly<Record<HookRejection, number>>;
  readonly lastAcceptedAt: number | null;
  readonly lastRejectedAt: number | null;
  readonly lastRejectedReason: HookRejection | null;
  /**
   * The relay's clock minus the last authenticated hook's timestamp (ms): delivery delay plus the
   * clocks' difference. `null` before one.
   */
  readonly clockSkewMs: number | null;
  /** The unit the last authenticated hook's timestamp was read in (`'s'` or `'ms'`), or `null`. */
  readonly timestampUnit: 's' | 'ms' | null;
}

/**
 * The web hook half of `/healthz`: what was taken and refused, and why. The first refusal of each
 * reason is logged once, with the clock skew measured on that hook, so a deployment shows at once
 * which form real Crisp sends; later ones are only counted (a flood would drown the log).
 */
export class HookHealth {
  #accepted = 0;
  readonly #rejected = Object.fromEntries(rejections.map((r) => [r, 0])) as Record<
    HookRejection,
    number
  >;
  #lastAcceptedAt: number | null = null;
  #lastRejectedAt: number | null = null;
  #lastRejectedReason: HookRejection | null = null;
  #clockSkewMs: number | null = null;
  #unit: 's' | 'ms' | null = null;
  readonly #logged = new Set<HookRejection>();
  readonly #log: (line: string) => void;
  readonly #now: () => number;

  constructor(log: (line: string) => void, now: () => number) {
    this.#log = log;
    this.#now = now;
  }

  /** An authenticated hook's timestamp, read in `unit`: the skew it shows. */
  measured(timeMs: number, unit: 's' | 'ms'): void {
    this.#clockSkewMs = this.#now() - timeMs;
    this.#unit = unit;
  }

  accepted(): void {
    this.#accepted++;
    this.#lastAcceptedAt = this.#now();
  }

  /** Counts a refusal; the first of its reason is logged with `detail` and the skew `skewMs`. */
  rejected(reason: HookRejection, detail: string, skewMs: number | null = null): void {
    this.#rejected[reason]++;
    this.#lastRejectedAt = this.#now();
    this.#lastRejectedReason = reason;
    if (this.#logged.has(reason) || reason === 'duplicate') return;
    this.#logged.add(reason);
    const skew = skewMs === null ? 'unmeasured' : `${skewMs} ms`;
    this.#log(
      `crisp-unread relay: refused a web hook (${reason}): ${detail}; clock skew ${skew}. ` +
        'Further refusals of this kind are counted in GET /healthz, not logged.',
    );
  }

  report(): HookReport {
    return {
      accepted: this.#accepted,
      rejected: { ...this.#rejected },
      lastAcceptedAt: this.#lastAcceptedAt,
      lastRejectedAt: this.#lastRejectedAt,
      lastRejectedReason: this.#lastRejectedReason,
      clockSkewMs: this.#clockSkewMs,
      timestampUnit: this.#unit,
    };
  }
}
