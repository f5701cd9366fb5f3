import type { ExampleConfig } from '@crisp-unread/example-kit';

export type { ExampleConfig };

/** Reads what the example server answers at `/config.json` (see @crisp-unread/example-kit). */
export async function loadConfig(): Promise<ExampleConfig> {
  const response = await fetch('/config.json');
  if (!response.ok) throw new Error(`GET /config.json answered ${response.status}`);
  return (await response.json()) as ExampleConfig;
}
