/** What the example server answers at `/config.json` (see @crisp-unread/example-kit). */
export interface ExampleConfig {
  apiUrl: string;
  emulatorUrl?: string;
  websiteId: string;
  identifier: string;
  key: string;
  sessionId: string | null;
  pollIntervalMs: number;
}

export async function loadConfig(): Promise<ExampleConfig> {
  const response = await fetch('/config.json');
  if (!response.ok) throw new Error(`GET /config.json answered ${response.status}`);
  return (await response.json()) as ExampleConfig;
}
