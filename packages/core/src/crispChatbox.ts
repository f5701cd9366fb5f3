import { Observable } from 'rxjs';
import { crispEvents } from './crispEvents';
import { isBrowser } from './environment';
import { misconfigured, UnreadError } from './errors';
import { describeValue } from './ids';
import type { UnreadSource } from './types';

/** Options of `crispChatbox`. */
export interface CrispChatboxOptions {
  /**
   * Where `$crisp` lives. Defaults to `globalThis` (the page's `window`); outside a page (a server
   * render) the source is then unavailable, and a store on it stays `idle`.
   */
  target?: object | undefined;
  /**
   * How often to re-read the chatbox's own count, locally (no network), in case an event was
   * missed. Defaults to `5000`.
   */
  reconcileMs?: number | undefined;
}

/** A source reading the Crisp chatbox already on the page: no key, no request, instant updates. */
export interface CrispChatboxSource extends UnreadSource {
  readonly kind: 'crisp-chatbox';
  readonly local: true;
}

/**
 * Reads `$crisp.get("chat:unread:count")` from the chatbox: once its session has loaded, again on
 * every event that can change it, and every `reconcileMs`. The count is `null` (no session) until
 * the session has loaded — 0 before that would be a guess.
 */
export function crispChatbox(options: CrispChatboxOptions = {}): CrispChatboxSource {
  const { target, reconcileMs = 5000 } = options;
  if (!(Number.isFinite(reconcileMs) && reconcileMs >= 100)) {
    misconfigured(
      `\`reconcileMs\` must be a number of milliseconds of at least 100, got ${describeValue(reconcileMs)}.`,
    );
  }
  const events = crispEvents({ target });

  /** The chatbox's count, or `undefined` while it has none (not loaded, or not a count). */
  const unread = (): number | undefined => {
    const value = events.get('chat:unread:count');
    return Number.isInteger(value) && (value as number) >= 0 ? (value as number) : undefined;
  };

  return {
    kind: 'crisp-chatbox',
    scope: 'crisp-chatbox',
    local: true,
    available: target !== undefined || isBrowser(),
    session$: events.session$,
    async read() {
      const count = unread();
      if (count === undefined) {
        throw new UnreadError(
          'invalid-response',
          `The Crisp chatbox ${events.isLoaded() ? 'gave no valid unread count' : 'has not loaded yet'}.`,
        );
      }
      return count;
    },
    watch() {
      return new Observable<number>((subscriber) => {
        // Not readable right now: the next event or reconcile tries again.
        const emit = () => {
          const count = unread();
          if (count !== undefined) subscriber.next(count);
        };
        // There is no "unread count changed" event: these are the ones after which it may differ.
        const offs = ['message:received', 'chat:opened', 'chat:closed', 'session:loaded'].map(
          (event) => events.on(event, emit),
        );
        const reconcile = setInterval(emit, reconcileMs);
        emit();
        return () => {
          clearInterval(reconcile);
          for (const off of offs) off();
        };
      });
    },
    async markAsRead() {
      events.do('message:read');
    },
  };
}

/** The chatbox's session id as an observable: `null` until `session:loaded`. */
export function chatboxSession$(options: { target?: object } = {}): Observable<string | null> {
  return crispEvents(options).session$;
}
