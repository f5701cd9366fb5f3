const dayMs = 86_400_000;

/** Counts requests per website per UTC day against a daily limit. */
export class DailyQuota {
  readonly #counts = new Map<string, { day: number; count: number }>();
  readonly #now: () => number;
  #limit: number;

  constructor(limit: number, now: () => number) {
    assertLimit(limit);
    this.#limit = limit;
    this.#now = now;
  }

  /** Counts one request; returns false when the website is past its quota for today. */
  take(websiteId: string): boolean {
    const day = Math.floor(this.#now() / dayMs);
    const entry = this.#counts.get(websiteId);
    const count = entry && entry.day === day ? entry.count + 1 : 1;
    this.#counts.set(websiteId, { day, count });
    return count <= this.#limit;
  }

  setLimit(limit: number): void {
    assertLimit(limit);
    this.#limit = limit;
  }

  reset(): void {
    this.#counts.clear();
  }
}

function assertLimit(limit: unknown): void {
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 0) {
    throw new TypeError(`dailyQuota must be a non-negative integer, got ${String(limit)}`);
  }
}
