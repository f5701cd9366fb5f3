import { type CrispTier, type FetchLike, misconfigured } from '@crisp-unread/core';
import * as z from 'zod/mini';
import { dayMs, defaultBudgetShares } from './budget';
import { type EconomySettings, economySettings } from './economySettings';
import type { RelayMetrics } from './metrics';
import type { ConnectionInfo, RelayStore, UnreadRelayOptions } from './types';

// The options as one schema: each field's check, its message (which names the option and never
// echoes the value) and its default. `UnreadRelayOptions` (types.ts) keeps their documentation;
// `schemaMatchesOptions` below holds the two to the same fields and types.

/** A number > 0 (an integer when `integer`), finite. */
function positive(name: string, integer = false) {
  const error = `\`${name}\` must be a positive ${integer ? 'integer' : 'number'}.`;
  const number = z.number({ error }).check(z.positive({ error }));
  // A check, not `z.int()`: a wrong type ends a union's match, a failed check names the field.
  return integer ? number.check(z.refine(Number.isInteger, { error })) : number;
}

/** A function, checked only for being one (what it returns is its caller's to check). */
function aFunction<T>(name: string) {
  return z.custom<T>((value) => typeof value === 'function', {
    error: `\`${name}\` must be a function.`,
  });
}

/** A value taken as it is: the module it goes to checks it (core checks `tier` and `baseUrl`). */
const unchecked = <T>() => z.custom<T>();

/** `{ burst, perSecond }` (each defaulted) or `false`; the whole defaults to `defaults`. */
function rateLimit(name: string, defaults: { burst: number; perSecond: number }) {
  const limit = z.object({
    burst: z._default(positive(`${name}.burst`, true), defaults.burst),
    perSecond: z._default(positive(`${name}.perSecond`), defaults.perSecond),
  });
  const error = `\`${name}\` must be { burst, perSecond } or false.`;
  return z._default(z.union([z.literal(false), limit], { error }), () => ({ ...defaults }));
}

/** A credential: named one by one, so that a relay built at request time says which it lacks. */
function credential(name: string, variable: string) {
  const error = `\`${name}\` is required (a non-empty string; ${variable} for the CLI).`;
  return z.string({ error }).check(z.minLength(1, { error }));
}

const sharesError =
  '`budgetShares` must be { hooks, firstReads, safety }: fractions >= 0 that add up to 1.';
const fraction = z.number({ error: sharesError }).check(z.gte(0, { error: sharesError }));

const trustProxyError = '`trustProxy` must be true, false or a number of trusted proxy hops.';
const dailyBudgetError = '`dailyBudget` must be an integer >= 0.';
const originsError =
  "`allowedOrigins` must be an array of origins such as 'https://shop.example', or '*'.";
const basePathError =
  "`basePath` must be '' or a path such as '/api/crisp-unread' (no trailing slash).";
const webhookTokenError =
  '`webhookToken` must be 16 to 256 URL-safe characters (letters, digits, - _ . ~), e.g. 32 random hex digits.';
const metricsTokenError = '`metricsToken` must be at least 16 printable characters without spaces.';
const strikesError = '`unknownSessionLimit` must be { strikes, forMs } or false.';

const relayOptionsSchema = z
  .object(
    {
      websiteId: credential('websiteId', 'CRISP_WEBSITE_ID'),
      identifier: credential('identifier', 'CRISP_IDENTIFIER'),
      key: credential('key', 'CRISP_KEY'),
      tier: z._default(unchecked<CrispTier>(), 'plugin'),
      baseUrl: z._default(unchecked<string>(), 'https://api.crisp.chat'),
      ttlMs: z._default(positive('ttlMs'), 15_000),
      dailyBudget: z._default(
        z.int({ error: dailyBudgetError }).check(z.gte(0, { error: dailyBudgetError })),
        5000,
      ),
      webhookToleranceMs: z._default(positive('webhookToleranceMs'), 3_600_000),
      maxWebhookBytes: z._default(positive('maxWebhookBytes', true), 65_536),
      heartbeatMs: z._default(positive('heartbeatMs'), 15_000),
      sseRetryMs: z._default(positive('sseRetryMs', true), 3000),
      timeoutMs: z._default(positive('timeoutMs'), 10_000),
      rateLimitedPauseMs: z._default(positive('rateLimitedPauseMs'), 60_000),
      retainMs: z._default(positive('retainMs'), 90 * dayMs),
      deriveFromHooks: z._default(
        z.boolean({ error: '`deriveFromHooks` must be a boolean.' }),
        true,
      ),
      assumeUnseenSessions: z._default(
        z.boolean({ error: '`assumeUnseenSessions` must be a boolean.' }),
        true,
      ),
      firstReadWaitMs: z._default(positive('firstReadWaitMs'), 2000),
      webhookSecret: z.optional(
        z
          .string({ error: '`webhookSecret` must be a non-empty string.' })
          .check(z.minLength(1, { error: '`webhookSecret` must be a non-empty string.' })),
      ),
      webhookToken: z.optional(
        z
          .string({ error: webhookTokenError })
          .check(z.regex(/^[\w.~-]{16,256}$/, { error: webhookTokenError })),
      ),
      cacheHitRereadMs: z._default(
        z.union([z.literal(false), positive('cacheHitRereadMs')], {
          error: '`cacheHitRereadMs` must be a positive number.',
        }),
        2000,
      ),
      allowedOrigins: z._default(
        z.union([z.literal('*'), z.readonly(z.array(z.string()))], { error: originsError }),
        () => [],
      ),
      basePath: z._default(
        z
          .string({ error: basePathError })
          .check(z.regex(/^(\/[\w.~-]+)*$/, { error: basePathError })),
        '',
      ),
      now: z._default(aFunction<() => number>('now'), () => Date.now),
      clientId: z.optional(
        aFunction<(request: Request, connection: ConnectionInfo) => string>('clientId'),
      ),
      trustProxy: z._default(
        z.union(
          [
            z.boolean(),
            z.int({ error: trustProxyError }).check(z.gte(0, { error: trustProxyError })),
          ],
          { error: trustProxyError },
        ),
        false,
      ),
      maxStreamsPerClient: z._default(positive('maxStreamsPerClient', true), 20),
      maxStreams: z._default(positive('maxStreams', true), 25_000),
      metrics: z.optional(
        z.custom<RelayMetrics>(
          (value) =>
            typeof value === 'object' &&
            value !== null &&
            typeof (value as RelayMetrics).render === 'function' &&
            typeof (value as RelayMetrics).attach === 'function',
          {
            error:
              '`metrics` must be a RelayMetrics, such as prometheusMetrics() from @crisp-unread/relay/prometheus.',
          },
        ),
      ),
      metricsToken: z.optional(
        z
          .string({ error: metricsTokenError })
          .check(z.regex(/^[\x21-\x7e]{16,}$/, { error: metricsTokenError })),
      ),
      safetyRefreshMs: z._default(positive('safetyRefreshMs'), 900_000),
      failureMemoryMs: z._default(positive('failureMemoryMs'), 30_000),
      budgetShares: z._default(
        z
          .object(
            { hooks: fraction, firstReads: fraction, safety: fraction },
            { error: sharesError },
          )
          .check(
            z.refine(
              (shares) => Math.abs(shares.hooks + shares.firstReads + shares.safety - 1) <= 1e-6,
              { error: sharesError },
            ),
          ),
        () => ({ ...defaultBudgetShares }),
      ),
      rateLimit: rateLimit('rateLimit', { burst: 60, perSecond: 1 }),
      firstReadLimit: rateLimit('firstReadLimit', { burst: 20, perSecond: 0.1 }),
      failedSignatureLimit: rateLimit('failedSignatureLimit', { burst: 10, perSecond: 0.1 }),
      unknownSessionLimit: z._default(
        z.union(
          [
            z.literal(false),
            z.object({
              strikes: z._default(positive('unknownSessionLimit.strikes', true), 3),
              forMs: z._default(positive('unknownSessionLimit.forMs'), 3_600_000),
            }),
          ],
          { error: strikesError },
        ),
        () => ({ strikes: 3, forMs: 3_600_000 }),
      ),
      store: z.optional(unchecked<RelayStore>()),
      fetch: z.optional(unchecked<FetchLike>()),
      log: z.optional(unchecked<((line: string) => void) | false>()),
    },
    { error: 'createUnreadRelay() needs an options object (or a function that returns one).' },
  )
  .check(
    z.refine((options) => options.metricsToken === undefined || options.metrics !== undefined, {
      error: '`metricsToken` needs `metrics`.',
    }),
  );

/** The options with every default filled in, and what the budget and freshness derive from them. */
export type RelaySettings = z.output<typeof relayOptionsSchema> & EconomySettings;

/** Checks the options (a `misconfigured` error naming the first bad one) and fills in defaults. */
export function resolveOptions(options: UnreadRelayOptions): RelaySettings {
  const parsed = relayOptionsSchema.safeParse(options);
  if (!parsed.success) {
    return misconfigured(
      parsed.error.issues[0]?.message ?? 'invalid options.',
      'crisp-unread relay',
    );
  }
  return { ...parsed.data, ...economySettings(parsed.data) };
}

// The schema takes exactly the fields and types `UnreadRelayOptions` documents.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const schemaMatchesOptions: Same<
  Required<z.input<typeof relayOptionsSchema>>,
  Required<UnreadRelayOptions>
> = true;
void schemaMatchesOptions;
