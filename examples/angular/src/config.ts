import type { ExampleConfig, ExampleRestConfig } from '@crisp-unread/example-kit';

export type { ExampleConfig, ExampleRestConfig };

/** Which source the page uses: the relay (default) or `?source=rest`. */
export type SourceMode = 'relay' | 'rest';

export function sourceMode(): SourceMode {
  return new URLSearchParams(window.location.search).get('source') === 'rest' ? 'rest' : 'relay';
}

/** Reads what the example server answers at `/config.json` (see @crisp-unread/example-kit). */
export async function loadConfig(mode: SourceMode): Promise<ExampleConfig | ExampleRestConfig> {
  const response = await fetch(mode === 'rest' ? '/config.json?source=rest' : '/config.json');
  if (!response.ok) throw new Error(`GET /config.json answered ${response.status}`);
  return (await response.json()) as ExampleConfig;
}
