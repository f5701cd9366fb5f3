import { UnreadError } from '@crisp-unread/core';
import { defaultBudgetShares, shareNames } from './budget';
import type { BudgetShares, UnreadRelayOptions } from './types';

export interface EconomySettings {
  safetyRefreshMs: number;
  failureMemoryMs: number;
  /** The shares in use: without web hooks the `hooks` fraction goes half to each other share. */
  shares: BudgetShares;
  /** How old a count may be and still be fresh: `safetyRefreshMs` with web hooks, else `ttlMs`. */
  maxAgeMs: number;
  /** Whether web hooks are configured (`webhookSecret` or `webhookToken`). */
  webhooks: boolean;
}

function fail(message: string): never {
  throw new UnreadError('misconfigured', `crisp-unread relay: ${message}`);
}

function positive(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    fail(`\`${name}\` must be a positive number.`);
  }
  return value;
}

function readShares(value: UnreadRelayOptions['budgetShares']): BudgetShares {
  if (value === undefined) return defaultBudgetShares;
  const message =
    '`budgetShares` must be { hooks, firstReads, safety }: fractions >= 0 that add up to 1.';
  if (typeof value !== 'object' || value === null) fail(message);
  let sum = 0;
  for (const name of shareNames) {
    const fraction = value[name];
    if (typeof fraction !== 'number' || !Number.isFinite(fraction) || fraction < 0) fail(message);
    sum += fraction;
  }
  if (Math.abs(sum - 1) > 1e-6) fail(message);
  return { hooks: value.hooks, firstReads: value.firstReads, safety: value.safety };
}

/** Resolves and checks the options of freshness, the budget shares and failure memory. */
export function economySettings(
  options: Pick<
    UnreadRelayOptions,
    'safetyRefreshMs' | 'budgetShares' | 'failureMemoryMs' | 'webhookSecret' | 'webhookToken'
  > & { ttlMs: number },
): EconomySettings {
  const safetyRefreshMs = positive('safetyRefreshMs', options.safetyRefreshMs ?? 900_000);
  const failureMemoryMs = positive('failureMemoryMs', options.failureMemoryMs ?? 30_000);
  const shares = readShares(options.budgetShares);
  const hooks = options.webhookSecret !== undefined || options.webhookToken !== undefined;
  return {
    webhooks: hooks,
    safetyRefreshMs,
    failureMemoryMs,
    shares: hooks
      ? shares
      : {
          hooks: 0,
          firstReads: shares.firstReads + shares.hooks / 2,
          safety: shares.safety + shares.hooks / 2,
        },
    maxAgeMs: hooks ? safetyRefreshMs : options.ttlMs,
  };
}
