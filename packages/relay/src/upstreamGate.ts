import type { RelayStore, UpstreamFailure } from './types';

/** Upstream calls one instance makes at once; the others wait for a slot. */
export const maxConcurrentReads = 16;

/** Server failures or timeouts in a row (across sessions) after which upstream calls pause. */
export const outageThreshold = 5;

/** How a call that was let through ended, for the gate's accounting. */
export type CallResult =
  /** Crisp answered (a count, or a definite 404/401/403): it is up. */
  | 'answered'
  /** No call was made after all (budget spent, relay closing). */
  | 'skipped'
  | { readonly failure: UpstreamFailure };

export type Admission =
  | { readonly kind: 'go'; readonly probe: boolean; done(result: CallResult): Promise<void> }
  | { readonly kind: 'paused'; readonly failure: UpstreamFailure };

export interface UpstreamGateSettings {
  store: RelayStore;
  now: () => number;
  /** The pause after a 429/420 without `Retry-After`. */
  rateLimitedPauseMs: number;
  /** The pause after `outageThreshold` server failures or timeouts in a row. */
  outagePauseMs: number;
}

const transient = new Set(['timeout', 'network', 'server', 'invalid-response']);

/**
 * Lets upstream calls through: at most `maxConcurrentReads` at once, none while Crisp asked for a
 * pause (`Retry-After`, shared through the store) or after repeated server failures, and after a
 * pause one probe call at a time until Crisp answers again. A semaphore by hand: rxjs's
 * concurrency limits apply to one stream, and these calls come from independent requests.
 */
export class UpstreamGate {
  readonly #s: UpstreamGateSettings;
  #inFlight = 0;
  readonly #waiting: (() => void)[] = [];
  #failuresInARow = 0;
  #needProbe = false;
  #probing = false;
  #pausedUntil = 0;
  #pauseFailure: UpstreamFailure = { code: 'rate-limited', status: 429 };
  #closed = false;

  constructor(settings: UpstreamGateSettings) {
    this.#s = settings;
  }

  /** Lets every waiting and later call go as skipped (the relay is closing). */
  close(): void {
    this.#closed = true;
    for (const wake of this.#waiting.splice(0)) wake();
  }

  async admit(): Promise<Admission> {
    const early = this.#localPause();
    if (early) return early;
    if (!(await this.#slot())) return this.#paused(0, { code: 'network' });
    let admitted = false;
    try {
      const shared = (await this.#s.store.getPausedUntil()) ?? 0;
      this.#pausedUntil = Math.max(this.#pausedUntil, shared);
      const paused = this.#localPause();
      if (paused) return paused;
      const probe = this.#needProbe;
      if (probe) this.#probing = true;
      admitted = true;
      let finished = false;
      return {
        kind: 'go',
        probe,
        done: async (result) => {
          if (finished) return;
          finished = true;
          this.#release();
          await this.#account(result, probe);
        },
      };
    } finally {
      if (!admitted) this.#release();
    }
  }

  /** A pause known to this instance, or a probe already in flight: no need to wait for a slot. */
  #localPause(): Admission | null {
    const at = this.#s.now();
    if (this.#pausedUntil > at) {
      this.#needProbe = true;
      return this.#paused(this.#pausedUntil - at);
    }
    if (this.#needProbe && this.#probing) return this.#paused(1000);
    return null;
  }

  #paused(retryAfterMs: number, failure: UpstreamFailure = this.#pauseFailure): Admission {
    return { kind: 'paused', failure: { ...failure, retryAfterMs: Math.max(1, retryAfterMs) } };
  }

  async #account(result: CallResult, probe: boolean): Promise<void> {
    if (probe) this.#probing = false;
    if (result === 'skipped') return;
    if (result === 'answered') {
      this.#failuresInARow = 0;
      this.#needProbe = false;
      return;
    }
    const { failure } = result;
    if (failure.code === 'rate-limited') {
      await this.#pause(failure.retryAfterMs ?? this.#s.rateLimitedPauseMs, failure);
    } else if (transient.has(failure.code)) {
      this.#failuresInARow++;
      if (probe || this.#failuresInARow >= outageThreshold) {
        await this.#pause(this.#s.outagePauseMs, failure);
      }
    } else {
      // A definite answer (401, 403): Crisp is up.
      this.#failuresInARow = 0;
      this.#needProbe = false;
    }
  }

  async #pause(ms: number, failure: UpstreamFailure): Promise<void> {
    const until = this.#s.now() + ms;
    this.#pausedUntil = Math.max(this.#pausedUntil, until);
    this.#pauseFailure = { code: failure.code, status: failure.status };
    this.#needProbe = true;
    await this.#s.store.setPausedUntil(until);
  }

  #slot(): Promise<boolean> {
    if (this.#closed) return Promise.resolve(false);
    if (this.#inFlight < maxConcurrentReads) {
      this.#inFlight++;
      return Promise.resolve(true);
    }
    return new Promise((resolve) => {
      this.#waiting.push(() => {
        if (this.#closed) {
          resolve(false);
          return;
        }
        this.#inFlight++;
        resolve(true);
      });
    });
  }

  #release(): void {
    this.#inFlight--;
    this.#waiting.shift()?.();
  }
}
