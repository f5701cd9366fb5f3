import { ChangeDetectionStrategy, Component, inject } from '@angular/core';
import { EXAMPLE_CONFIG, SOURCE_MODE, UNREAD_STORE } from '../unread';
import { ChatButton } from './chat-button';
import { EmulatorControls } from './emulator-controls';

@Component({
  selector: 'app-root',
  imports: [ChatButton, EmulatorControls],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <main>
      <h1>crisp-unread + Angular</h1>
      <app-chat-button (open)="markAsRead()" />
      <p class="note" data-testid="source-note">
        @if (mode === 'relay') {
          Relay source: the page holds no key. A relay on the server reads Crisp (here a local
          emulator), gets its web hooks, and pushes each new count over Server-Sent Events.
        } @else {
          Direct REST source: this page reads a local Crisp emulator with its throwaway key
          (<code>dangerouslyAllowBrowser</code>). Never ship a real Crisp key to a browser: use the
          relay.
        }
        Sources: <a href="/">relay</a> · <a href="/?source=rest">direct REST</a>
      </p>
      @if (config.emulatorUrl && config.sessionId) {
        <app-emulator-controls
          [emulatorUrl]="config.emulatorUrl"
          [websiteId]="config.websiteId"
          [sessionId]="config.sessionId"
        />
      }
    </main>
  `,
})
export class App {
  readonly config = inject(EXAMPLE_CONFIG);
  readonly mode = inject(SOURCE_MODE);
  private readonly store = inject(UNREAD_STORE);

  markAsRead() {
    void this.store.markAsRead().catch(() => {});
  }
}
