import type { BudgetReport, BudgetShareName, BudgetShares, RelayStore, ShareReport } from './types';

export const dayMs = 86_400_000;

/** The part of each share that may be spent at 00:00 UTC; the rest comes in over the day. */
export const pacingReserve = 0.1;

/**
 * …but half of the `hooks` share: only Crisp's signed hooks spend it (no client can), and a read a
 * hook asks for is a count a visitor looks at now, so it is paced against a chat-heavy morning
 * only. With the 10% of the others, a day whose chats peak in the afternoon (the simulated one:
 * 14:00 UTC) found the reads it needed deferred by the pacing, not by the budget.
 */
export const hookPacingReserve = 0.5;

/** The reserve a share is paced with. */
export const reserveOf = (share: BudgetShareName) =>
  share === 'hooks' ? hookPacingReserve : pacingReserve;

export const shareNames: readonly BudgetShareName[] = ['hooks', 'firstReads', 'safety'];

/**
 * The default split of `dailyBudget`. Web hooks take most: a hook whose effect is unknown (a read
 * acknowledgement) is the one thing only a read can tell, and it is what a visitor looks at. First
 * reads of sessions no hook named are worth less since those are answered `assumed` when paced
 * out (`assumeUnseenSessions`). Without web hooks the `hooks` fraction is split between the
 * other two.
 */
export const defaultBudgetShares: BudgetShares = { hooks: 0.9, firstReads: 0.05, safety: 0.05 };

/**
 * Whose unspent paced allowance a web hook's read may spend, in order, once the `hooks` share is
 * paced out: the safety re-reads and first reads can wait for their next allowance, a count a
 * hook said changed cannot.
 */
const hookLenders: readonly BudgetShareName[] = ['safety', 'firstReads'];

/** The UTC date of an epoch time, `YYYY-MM-DD`: the budget's day. */
export function utcDay(at: number): string {
  return new Date(at).toISOString().slice(0, 10);
}

/** The store counter of one share on one day: `YYYY-MM-DD:<share>`. */
export function budgetCounter(day: string, share: BudgetShareName): string {
  return `${day}:${share}`;
}

/**
 * Each share's calls per day: `dailyBudget` split by the fractions, rounded on the running sum so
 * that the limits add up to the total exactly (never more).
 */
export function shareLimits(total: number, shares: BudgetShares): Record<BudgetShareName, number> {
  let sum = 0;
  let given = 0;
  const limits = {} as Record<BudgetShareName, number>;
  for (const name of shareNames) {
    sum += shares[name];
    const upTo = Math.min(total, Math.round(total * sum));
    limits[name] = upTo - given;
    given = upTo;
  }
  return limits;
}

/**
 * The firstReads share spends at most this many hours of its daily average in one UTC hour: the
 * day's paced allowance lets unspent calls pile up, and a burst of new sessions (a flood of
 * made-up ids, or harvested ones) must not spend them all at once.
 */
export const firstReadBurstHours = 4;

/** …but never fewer than this many calls in an hour, so that a small budget still serves a burst. */
export const firstReadHourFloor = 25;

const hourMs = 3_600_000;

/**
 * The firstReads share's calls in one UTC hour:
 * `max(ceil(limit × firstReadBurstHours / 24), min(limit, firstReadHourFloor))`.
 */
export function hourlyCap(limit: number): number {
  const hours = Math.ceil((limit * firstReadBurstHours * hourMs) / dayMs - 1e-9);
  return Math.max(hours, Math.min(limit, firstReadHourFloor));
}

/** The store counter of the firstReads share in the UTC hour of `at`: `YYYY-MM-DD:firstReads:hHH`. */
export function hourCounter(at: number): string {
  const iso = new Date(at).toISOString();
  return `${iso.slice(0, 10)}:firstReads:h${iso.slice(11, 13)}`;
}

/** How much of the day has passed at `at`, from 0 (00:00 UTC) to 1. */
function dayElapsed(at: number): number {
  return (((at % dayMs) + dayMs) % dayMs) / dayMs;
}

/**
 * The pacing rule: a share may have spent at most
 * `ceil(limit × (reserve + (1 − reserve) × fraction of the UTC day elapsed))` calls by `at`, so a
 * burst early in the day cannot spend what the rest of the day needs.
 */
export function pacedAllowance(limit: number, at: number, reserve = pacingReserve): number {
  if (limit <= 0) return 0;
  const fraction = reserve + (1 - reserve) * dayElapsed(at);
  return Math.min(limit, Math.ceil(limit * fraction - 1e-9));
}

/** How long until a share that has spent `spent` may spend one more (the next day at worst). */
export function nextAllowanceInMs(
  limit: number,
  spent: number,
  at: number,
  reserve = pacingReserve,
): number {
  const untilMidnight = dayMs - (((at % dayMs) + dayMs) % dayMs);
  if (spent >= limit) return untilMidnight;
  // The allowance passes `spent` once limit × (reserve + (1 − reserve) × f) > spent.
  const fraction = (spent / limit - reserve) / (1 - reserve);
  const waitMs = Math.ceil(fraction * dayMs - dayElapsed(at) * dayMs) + 1;
  return Math.min(untilMidnight, Math.max(1000, waitMs));
}

export interface BudgetSettings {
  store: RelayStore;
  total: number;
  shares: BudgetShares;
  now: () => number;
}

/**
 * The daily budget in shares, each paced over the UTC day. Counters live in the store, so every
 * instance sharing it spends one budget; the paced allowance is the limit the store's atomic
 * take is given.
 */
export class Budget {
  readonly #s: BudgetSettings;
  readonly #limits: Record<BudgetShareName, number>;
  // Until when each share is known to be paced out: the allowance only grows with time and the
  // spent count never falls, so the store need not be asked again before then.
  readonly #refusedUntil: Record<BudgetShareName, number> = { hooks: 0, firstReads: 0, safety: 0 };

  constructor(settings: BudgetSettings) {
    this.#s = settings;
    this.#limits = shareLimits(settings.total, settings.shares);
  }

  /**
   * Counts one upstream call against `share`: `0` when counted, else ms until one may be. A web
   * hook's read the `hooks` share cannot pay is paid from what the lenders have not spent; and
   * while the `hooks` share is paced out, the lenders spend nothing themselves, so that what they
   * have goes to the counts hooks said changed first.
   */
  async take(share: BudgetShareName): Promise<number> {
    const at = this.#s.now();
    const yielding = this.#yieldsUntil(share);
    if (yielding > at) return yielding - at;
    const waitMs = await this.#takeOwn(share, at);
    if (waitMs === 0 || share !== 'hooks') return waitMs;
    for (const lender of hookLenders) {
      if ((await this.#takePaced(lender, at)) === 0) return 0;
    }
    return waitMs;
  }

  /**
   * Whether this instance knows the share can pay nothing now: a take was refused and its wait
   * has not passed, or, for a lender, the `hooks` share is paced out (see `take`). No store call,
   * so it may be wrong the other way (an instance that has not been refused yet says `false`).
   */
  pacedOut(share: BudgetShareName): boolean {
    return this.waitMs(share) > 0;
  }

  /**
   * Ms until `share` may pay a call, as far as this instance knows (`0`: maybe now). Nothing can be
   * paid sooner: a paced allowance grows with time alone, and spending only shrinks it.
   */
  waitMs(share: BudgetShareName): number {
    const at = this.#s.now();
    return Math.max(0, this.#yieldsUntil(share) - at, this.#refusedUntil[share] - at);
  }

  /** Until when a lender yields to the `hooks` share (while that is paced out); 0 for `hooks`. */
  #yieldsUntil(share: BudgetShareName): number {
    return share === 'hooks' ? 0 : this.#refusedUntil.hooks;
  }

  /** A call from the share itself: the firstReads hour's cap, then the day's paced allowance. */
  async #takeOwn(share: BudgetShareName, at: number): Promise<number> {
    if (this.#refusedUntil[share] > at) return this.#refusedUntil[share] - at;
    const limit = this.#limits[share];
    // The hour's cap first: a call the day then refuses stays counted in the hour, the
    // stricter way to be wrong.
    if (share === 'firstReads' && limit > 0) {
      if (!(await this.#s.store.takeBudget(hourCounter(at), hourlyCap(limit)))) {
        const waitMs = hourMs - (((at % hourMs) + hourMs) % hourMs);
        this.#refusedUntil[share] = at + waitMs;
        return waitMs;
      }
    }
    return this.#takePaced(share, at);
  }

  /** A call against the share's paced allowance for the day. */
  async #takePaced(share: BudgetShareName, at: number): Promise<number> {
    if (this.#refusedUntil[share] > at) return this.#refusedUntil[share] - at;
    const limit = this.#limits[share];
    const counter = budgetCounter(utcDay(at), share);
    if (await this.#s.store.takeBudget(counter, pacedAllowance(limit, at, reserveOf(share)))) {
      return 0;
    }
    const spent = await this.#s.store.budgetUsed(counter);
    const waitMs = nextAllowanceInMs(limit, spent, at, reserveOf(share));
    this.#refusedUntil[share] = at + waitMs;
    return waitMs;
  }

  /** Each share's figures now, for `GET /healthz` (which passes `wait: false`). */
  async report({ wait = true }: { wait?: boolean } = {}): Promise<BudgetReport> {
    const at = this.#s.now();
    const day = utcDay(at);
    const entries = await Promise.all(
      shareNames.map(async (name): Promise<[BudgetShareName, ShareReport]> => {
        const limit = this.#limits[name];
        const spent = await this.#s.store.budgetUsed(budgetCounter(day, name), { wait });
        return [
          name,
          {
            limit,
            spent,
            remaining: Math.max(0, limit - spent),
            allowance: pacedAllowance(limit, at, reserveOf(name)),
          },
        ];
      }),
    );
    return {
      day,
      total: this.#s.total,
      shares: Object.fromEntries(entries) as Record<BudgetShareName, ShareReport>,
    };
  }
}
