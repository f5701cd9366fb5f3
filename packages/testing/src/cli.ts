import { parseArgs } from 'node:util';
import { startCrispEmulator } from './startCrispEmulator.js';
import type { CrispEmulator, WebhookTarget } from './types.js';

/** What `crisp-emulator` was asked for, from its flags and environment. */
export interface CommandLine {
  port: number;
  webhook: WebhookTarget | null;
  /** `--print-env`: print `CRISP_*=` lines for a `.env` file instead of the JSON line. */
  printEnv: boolean;
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
  'usage: crisp-emulator [--port N] [--webhook-url URL --webhook-secret SECRET] [--print-env] ' +
  '(or PORT, CRISP_EMULATOR_WEBHOOK_URL, CRISP_EMULATOR_WEBHOOK_SECRET)';

/**
 * Reads `--port`, `--webhook-url`, `--webhook-secret` and `--print-env`, falling back on `PORT`,
 * `CRISP_EMULATOR_WEBHOOK_URL` and `CRISP_EMULATOR_WEBHOOK_SECRET`; a flag wins over its variable.
 */
export function parseCommandLine(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): CommandLine {
  let values: {
    port?: string;
    'webhook-url'?: string;
    'webhook-secret'?: string;
    'print-env'?: boolean;
  };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        port: { type: 'string' },
        'webhook-url': { type: 'string' },
        'webhook-secret': { type: 'string' },
        'print-env': { type: 'boolean' },
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
  return {
    port,
    webhook: url === '' ? null : { url, secret },
    printEnv: values['print-env'] ?? false,
  };
}

/**
 * The summary as a `.env` file: the `CRISP_*` variables the relay (`relayOptionsFromEnv`), the
 * examples and the demo read, pointed at the emulator. The web hook secret is the caller's own and
 * is never printed.
 */
export function envFileLines(summary: CommandLineSummary): string {
  const lines = [
    `# crisp-emulator at ${summary.url}: a throwaway website and key, valid while it runs`,
    `CRISP_WEBSITE_ID=${summary.websiteId}`,
    `CRISP_IDENTIFIER=${summary.identifier}`,
    `CRISP_KEY=${summary.key}`,
    `CRISP_API_URL=${summary.url}`,
    `# the emulator's visitor session (the demo and examples/vanilla read it)`,
    `CRISP_SESSION_ID=${summary.sessionId}`,
  ];
  if (summary.webhookUrl !== null) {
    lines.push(
      `# web hooks go to ${summary.webhookUrl}: set CRISP_WEBHOOK_SECRET to the secret you gave`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Starts the emulator the command line asks for, with one website and one session in it.
 * `output` is what `crisp-emulator` prints: the summary as one JSON line, or with `--print-env`
 * as `.env` lines.
 */
export async function startFromCommandLine(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): Promise<{ emulator: CrispEmulator; summary: CommandLineSummary; output: string }> {
  const { port, webhook, printEnv } = parseCommandLine(argv, env);
  const emulator = await startCrispEmulator({ port, webhook });
  const website = emulator.createWebsite();
  const sessionId = emulator.createSession(website.websiteId);
  const summary: CommandLineSummary = {
    url: emulator.url,
    websiteId: website.websiteId,
    sessionId,
    identifier: website.identifier,
    key: website.key,
    tier: website.tier,
    webhookUrl: webhook === null ? null : new URL(webhook.url).href,
  };
  const output = printEnv ? envFileLines(summary) : `${JSON.stringify(summary)}\n`;
  return { emulator, summary, output };
}
