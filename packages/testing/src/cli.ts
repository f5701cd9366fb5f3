import { parseArgs } from 'node:util';
import { startCrispEmulator } from './startCrispEmulator.js';
import type { CrispEmulator, WebhookTarget } from './types.js';

/** What `crisp-emulator` was asked for, from its flags and environment. */
export interface CommandLine {
  port: number;
  webhook: WebhookTarget | null;
}

/** What `crisp-emulator` prints: everything a client needs, and where hooks go (not their secret). */
export interface CommandLineSummary {
  url: string;
  websiteId: string;
  sessionId: string;
  identifier: string;
  key: string;
  tier: string;
  webhookUrl: string | null;
}

const usage =
  'usage: crisp-emulator [--port N] [--webhook-url URL --webhook-secret SECRET] ' +
  '(or PORT, CRISP_EMULATOR_WEBHOOK_URL, CRISP_EMULATOR_WEBHOOK_SECRET)';

/**
 * Reads `--port`, `--webhook-url` and `--webhook-secret`, falling back on `PORT`,
 * `CRISP_EMULATOR_WEBHOOK_URL` and `CRISP_EMULATOR_WEBHOOK_SECRET`; a flag wins over its variable.
 */
export function parseCommandLine(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): CommandLine {
  let values: { port?: string; 'webhook-url'?: string; 'webhook-secret'?: string };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        port: { type: 'string' },
        'webhook-url': { type: 'string' },
        'webhook-secret': { type: 'string' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new TypeError(`${error instanceof Error ? error.message : String(error)}\n${usage}`);
  }
  const portText = values.port ?? env.PORT ?? '4010';
  const port = /^\d{1,5}$/.test(portText) ? Number(portText) : Number.NaN;
  if (!(port <= 65_535)) throw new TypeError(`--port must be a number from 0 to 65535\n${usage}`);
  const url = values['webhook-url'] ?? env.CRISP_EMULATOR_WEBHOOK_URL ?? '';
  const secret = values['webhook-secret'] ?? env.CRISP_EMULATOR_WEBHOOK_SECRET ?? '';
  if ((url === '') !== (secret === '')) {
    throw new TypeError(`a web hook needs both a URL and a secret\n${usage}`);
  }
  return { port, webhook: url === '' ? null : { url, secret } };
}

/** Starts the emulator the command line asks for, with one website and one session in it. */
export async function startFromCommandLine(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): Promise<{ emulator: CrispEmulator; summary: CommandLineSummary }> {
  const { port, webhook } = parseCommandLine(argv, env);
  const emulator = await startCrispEmulator({ port, webhook });
  const website = emulator.createWebsite();
  const sessionId = emulator.createSession(website.websiteId);
  return {
    emulator,
    summary: {
      url: emulator.url,
      websiteId: website.websiteId,
      sessionId,
      identifier: website.identifier,
      key: website.key,
      tier: website.tier,
      webhookUrl: webhook === null ? null : new URL(webhook.url).href,
    },
  };
}
