import { AsyncPipe } from '@angular/common';
import { ChangeDetectionStrategy, Component, computed, inject, output } from '@angular/core';
import { toSignal } from '@angular/core/rxjs-interop';
import { UNREAD_STORE } from '../unread';

/**
 * A "Messages" button with a badge of unread messages (hidden at 0), the store's status, and a
 * "stale" mark while the relay serves a count it could not refresh.
 */
@Component({
  selector: 'app-chat-button',
  imports: [AsyncPipe],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <div class="chat">
      @let count = count$ | async;
      <button
        type="button"
        class="chat-button"
        [attr.aria-label]="count ? 'Messages, ' + count + ' unread' : 'Messages'"
        (click)="open.emit()"
      >
        Messages
        @if (count) {
          <span class="badge" data-testid="badge">{{ count }}</span>
        }
      </button>
      <p class="status" data-testid="status" role="status">{{ statusText() }}</p>
      @if (state().stale) {
        <span class="stale" data-testid="stale" [title]="staleHint">stale</span>
      }
    </div>
  `,
})
export class ChatButton {
  readonly open = output();
  readonly staleHint = 'The relay could not refresh this count: it is the last one known.';

  private readonly store = inject(UNREAD_STORE);
  /** The count for `AsyncPipe`: it subscribes with the view and unsubscribes when it is destroyed. */
  readonly count$ = this.store.unreadCount$;
  /** The whole state as a signal: `state$` replays the current state, so it is never undefined. */
  readonly state = toSignal(this.store.state$, { requireSync: true });
  readonly statusText = computed(() => {
    const { status, error } = this.state();
    return status === 'error' ? `error: ${error?.code ?? 'unknown'}` : status.replace('-', ' ');
  });
}
