import type { ClientLimit } from './clientLimits';
import type { RelayStore } from './types';
import { isUnseenSession } from './unseenSession';

/** Why a first read was refused: its client's limit, or its strikes. */
export interface FirstReadRefusal {
  readonly refused: 'client' | 'unknown-sessions';
  readonly waitMs: number;
}

/** An admitted read: call `done` with what Crisp said once it is over. */
export interface FirstReadTicket {
  done(outcome: 'count' | 'gone' | 'other'): void;
}

export interface FirstReadLimits {
  /** `firstReadLimit`: first reads per client. */
  perClient: ClientLimit | null;
  /**
   * `unknownSessionLimit`: a point per first read in flight, kept when Crisp answers that the
   * session does not exist, given back otherwise; a client out of points is blocked for a while.
   */
  strikes: ClientLimit | null;
}

/**
 * The first-read limits: a request for a session the store holds no count for takes a point
 * from each limit, as it will cost an upstream call. Requests for a session whose first read is
 * already admitted ride on that read (the reader coalesces them) and take nothing, so a burst of
 * visitors on one new session costs one point, not one each.
 */
export class FirstReads {
  readonly #limits: FirstReadLimits;
  readonly #store: RelayStore;
  /**
   * Sessions whose first read is being admitted or is in flight: whether it was admitted, and how
   * many requests wait on it. Set before the limits are asked, so that concurrent requests for
   * the session wait on its leader instead of each taking points.
   */
  readonly #reading = new Map<string, { admitted: Promise<boolean>; requests: number }>();
  /** Each client's first reads in flight here: a strike refusal with reads pending is short. */
  readonly #pending = new Map<string, number>();
  /**
   * Sessions known to be cached, so that a cache hit costs no second store call (a Redis round
   * trip). Forgetting this set now and then only costs a look.
   */
  readonly #seen = new Set<string>();

  constructor(limits: FirstReadLimits, store: RelayStore) {
    this.#limits = limits;
    this.#store = store;
  }

  /** Admits a read of `sessionId` for `client`: its ticket, or why and how long it must wait. */
  async admit(client: string, sessionId: string): Promise<FirstReadTicket | FirstReadRefusal> {
    // Each turn ends in a ticket, a refusal, or a leader's refusal that lets another lead.
    for (;;) {
      if (this.#seen.has(sessionId)) return free;
      const read = this.#reading.get(sessionId);
      if (read) {
        if ((await read.admitted) && this.#reading.get(sessionId) === read) {
          return this.#ride(sessionId, read, null);
        }
        continue;
      }
      if (!(await isUnseenSession(this.#store, sessionId))) {
        this.#remember(sessionId);
        return free;
      }
      // Checked again: another request may have become the leader while the store answered.
      if (!this.#reading.has(sessionId)) return this.#lead(client, sessionId);
    }
  }

  /** The first request of a new session: takes its points, strike first (all or none kept). */
  async #lead(client: string, sessionId: string): Promise<FirstReadTicket | FirstReadRefusal> {
    let admit!: (admitted: boolean) => void;
    const read = { admitted: new Promise<boolean>((resolve) => (admit = resolve)), requests: 0 };
    this.#reading.set(sessionId, read);
    const refusal = await this.#take(client).catch(() => null);
    if (refusal) {
      this.#reading.delete(sessionId);
      admit(false);
      return refusal;
    }
    this.#pending.set(client, (this.#pending.get(client) ?? 0) + 1);
    const ticket = this.#ride(sessionId, read, (outcome) => {
      const left = (this.#pending.get(client) ?? 1) - 1;
      if (left > 0) this.#pending.set(client, left);
      else this.#pending.delete(client);
      if (outcome !== 'gone') this.#limits.strikes?.giveBack(client).catch(() => undefined);
    });
    admit(true);
    return ticket;
  }

  /** Takes a point from each limit, or none: `null` when all were taken, else the refusal. */
  async #take(client: string): Promise<FirstReadRefusal | null> {
    const { perClient, strikes } = this.#limits;
    const struck = (await strikes?.take(client)) ?? 0;
    if (struck > 0) {
      // Points held by reads still in flight come back within seconds, not after the block.
      const waitMs = (this.#pending.get(client) ?? 0) > 0 ? Math.min(struck, 1000) : struck;
      return { refused: 'unknown-sessions', waitMs };
    }
    const limited = (await perClient?.take(client)) ?? 0;
    if (limited === 0) return null;
    await strikes?.giveBack(client);
    return { refused: 'client', waitMs: limited };
  }

  /** Counts a request on the session's read; `settle` runs once, for the read's leader. */
  #ride(
    sessionId: string,
    read: { requests: number },
    settle: ((outcome: 'count' | 'gone' | 'other') => void) | null,
  ): FirstReadTicket {
    read.requests++;
    let done = false;
    return {
      done: (outcome) => {
        if (done) return;
        done = true;
        settle?.(outcome);
        if (--read.requests === 0 && this.#reading.get(sessionId) === read) {
          this.#reading.delete(sessionId);
        }
      },
    };
  }

  #remember(sessionId: string): void {
    if (this.#seen.size >= 50_000) this.#seen.clear();
    this.#seen.add(sessionId);
  }
}

const free: FirstReadTicket = { done: () => {} };
