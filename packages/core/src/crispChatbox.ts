import { Observable } from 'rxjs';
import { crispEvents } from './crispEvents';
import { misconfigured, UnreadError } from './errors';
import { describeValue } from './ids';
import type { UnreadSource } from './types';

/** Options of `crispChatbox`. */
export interface CrispChatboxOptions {
  /** Where `$crisp` lives. Defaults to `globalThis` (the page's `window`). */
  target?: object;
  /**
   * How often to re-read the chatbox's own count, locally (no network), in case an event was
   * missed. Defaults to `5000`.
   */
  reconcileMs?: number;
}

/** A source reading the Crisp chatbox already on the page: no key, no request, instant updates. */
export interface CrispChatboxSource extends UnreadSource {
  readonly kind: 'crisp-chatbox';
  readonly local: true;
}

// There is no "unread count changed" event: these are the ones after which the count may differ.
const countEvents = ['message:received', 'chat:opened', 'chat:closed', 'session:loaded'];

/**
 * Reads `$crisp.get("chat:unread:count")` from the chatbox: once its session has loaded, again on
 * every event that can change it, and every `reconcileMs`. The count is `null` (no session) until
 * the session has loaded — 0 before that would be a guess.
 */
export function crispChatbox(options: CrispChatboxOptions = {}): CrispChatboxSource {
  const { target, reconcileMs = 5000 } = options;
  if (typeof reconcileMs !== 'number' || !Number.isFinite(reconcileMs) || reconcileMs < 100) {
    misconfigured(
      `\`reconcileMs\` must be a number of milliseconds of at least 100, got ${describeValue(reconcileMs)}.`,
    );
  }
  const events = crispEvents(target === undefined ? {} : { target });

  const readUnread = (): number => {
    const value = events.get('chat:unread:count');
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
      throw new UnreadError(
        'invalid-response',
        events.isLoaded()
          ? 'The Crisp chatbox gave no valid unread count.'
          : 'The Crisp chatbox has not loaded yet.',
      );
    }
    return value;
  };

  return {
    kind: 'crisp-chatbox',
    scope: 'crisp-chatbox',
    local: true,
    session$: events.session$,
    async read() {
      return readUnread();
    },
    watch() {
      return new Observable<number>((subscriber) => {
        const emit = () => {
          if (!events.isLoaded()) return;
          let count: number;
          try {
            count = readUnread();
          } catch {
            return; // Not readable right now: the next event or reconcile tries again.
          }
          subscriber.next(count);
        };
        const offs = countEvents.map((event) => events.on(event, emit));
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
