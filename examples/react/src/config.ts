import type { ExampleConfig, ExampleRestConfig } from '@crisp-unread/example-kit';

export type { ExampleConfig, ExampleRestConfig };

/** Which source the page uses: the relay (default), `?source=rest` or `?source=chatbox`. */
export type SourceMode = 'relay' | 'rest' | 'chatbox';

export function sourceMode(): SourceMode {
  const source = new URLSearchParams(window.location.search).get('source');
  return source === 'rest' || source === 'chatbox' ? source : 'relay';
}

export async function loadConfig<T extends ExampleConfig = ExampleConfig>(
  mode: SourceMode,
): Promise<T> {
  const response = await fetch(mode === 'rest' ? '/config.json?source=rest' : '/config.json');
  if (!response.ok) throw new Error(`GET /config.json answered ${response.status}`);
  return (await response.json()) as T;
}
