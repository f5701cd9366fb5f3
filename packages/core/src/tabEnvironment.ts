import { isBrowser } from './environment';

/** The part of `navigator.locks` the leader election uses. */
export interface LockManagerLike {
  request(
    name: string,
    options: { signal?: AbortSignal; steal?: boolean },
    callback: (lock: unknown) => Promise<void> | undefined,
  ): Promise<unknown>;
}

/** The part of a `BroadcastChannel` the tabs talk through. */
export interface ChannelLike {
  onmessage: ((event: { data: unknown }) => void) | null;
  postMessage(message: unknown): void;
  close(): void;
}

/** What one tab offers for cross-tab work; `browserCrossTab()` in a page. Its functions are called unbound. */
export interface CrossTabEnvironment {
  /** Web Locks, or `undefined` for the heartbeat fallback. */
  readonly locks: LockManagerLike | undefined;
  openChannel(name: string): ChannelLike;
  isVisible(): boolean;
  onVisibilityChange(listener: () => void): () => void;
  random(): number;
}

/** The page's tab environment, or `undefined` outside browsers and without `BroadcastChannel`. */
export function browserCrossTab(): CrossTabEnvironment | undefined {
  const Channel = globalThis.BroadcastChannel;
  if (!isBrowser() || !Channel) return;
  const doc = document;
  const event = 'visibilitychange';
  return {
    locks: (navigator as { locks?: LockManagerLike }).locks,
    openChannel: (name) => new Channel(name) as unknown as ChannelLike,
    isVisible: () => doc.visibilityState !== 'hidden',
    onVisibilityChange(listener) {
      doc.addEventListener(event, listener);
      return () => doc.removeEventListener(event, listener);
    },
    random: Math.random,
  };
}
