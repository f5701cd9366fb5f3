import { ChangeDetectionStrategy, Component, computed, input, signal } from '@angular/core';

/** Buttons that play the operator and the visitor through the emulator's control API. */
@Component({
  selector: 'app-emulator-controls',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <fieldset class="controls">
      <legend>Emulator</legend>
      <button type="button" (click)="call('POST', session() + '/operator-sends')">
        Operator sends a message
      </button>
      <button type="button" (click)="call('POST', session() + '/visitor-reads')">
        Visitor reads
      </button>
      <button type="button" (click)="toggleFault()">
        {{ failing() ? 'Stop the 500s' : 'Answer 500' }}
      </button>
    </fieldset>
  `,
})
export class EmulatorControls {
  readonly emulatorUrl = input.required<string>();
  readonly websiteId = input.required<string>();
  readonly sessionId = input.required<string>();

  readonly failing = signal(false);
  readonly session = computed(() => `/websites/${this.websiteId()}/sessions/${this.sessionId()}`);

  // A text/plain POST is a simple request: no CORS preflight to the emulator's other origin.
  call(method: 'POST' | 'DELETE', path: string, body: unknown = {}) {
    return fetch(`${this.emulatorUrl()}/_emulator${path}`, { method, body: JSON.stringify(body) });
  }

  async toggleFault() {
    await (this.failing()
      ? this.call('DELETE', '/faults')
      : this.call('POST', '/faults', { fault: { type: 'server-error' } }));
    this.failing.update((failing) => !failing);
  }
}
