import type { BudgetShares } from './types';

export interface EconomySettings {
  /** The shares in use: without web hooks the `hooks` fraction goes half to each other share. */
  shares: BudgetShares;
  /** How old a count may be and still be fresh: `safetyRefreshMs` with web hooks, else `ttlMs`. */
  maxAgeMs: number;
  /** Whether web hooks are configured (`webhookSecret` or `webhookToken`). */
  webhooks: boolean;
}

/** What freshness and the budget shares derive from the checked, defaulted options. */
export function economySettings(options: {
  safetyRefreshMs: number;
  budgetShares: BudgetShares;
  ttlMs: number;
  webhookSecret?: string | undefined;
  webhookToken?: string | undefined;
}): EconomySettings {
  const shares = options.budgetShares;
  const hooks = options.webhookSecret !== undefined || options.webhookToken !== undefined;
  return {
    webhooks: hooks,
    shares: hooks
      ? shares
      : {
          hooks: 0,
          firstReads: shares.firstReads + shares.hooks / 2,
          safety: shares.safety + shares.hooks / 2,
        },
    maxAgeMs: hooks ? options.safetyRefreshMs : options.ttlMs,
  };
}
