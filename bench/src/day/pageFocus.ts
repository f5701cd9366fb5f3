// Each simulated page's own visibility, as a browser gives it to query-core.
//
// A store with `pauseWhenHidden` (the default) learns that its page is hidden from query-core's
// `focusManager`, one per JavaScript realm: in a browser, one per page. The simulation runs every
// page in one process, so one `focusManager` serves them all; query-core has no per-client focus
// option. So the sim routes it: a listener subscribed while a page's code runs (its store
// subscribing, its QueryClient mounting) belongs to that page, and hears only that page's
// visibility changes, during which `isFocused()` answers that page's visibility. Outside a page's
// synchronous code `isFocused()` answers true: query-core's retryer asks it to pause retries while
// hidden, so a hidden page here retries where a browser would wait for it to be shown.
import { focusManager } from '@tanstack/query-core';

type Listener = (focused: boolean) => void;

let running: PageFocus | undefined;

export class PageFocus {
  visible = true;
  readonly #listeners = new Set<Listener>();

  /** Runs `work` as this page's code: what it subscribes to focus is this page's. */
  run<T>(work: () => T): T {
    const outer = running;
    running = this;
    try {
      return work();
    } finally {
      running = outer;
    }
  }

  listen(listener: Listener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  listeners(): number {
    return this.#listeners.size;
  }

  setVisible(visible: boolean): void {
    if (visible === this.visible) return;
    this.visible = visible;
    this.run(() => {
      for (const listener of [...this.#listeners]) listener(visible);
    });
  }
}

/** Routes `focusManager` per page (see above); returns the function that undoes it. */
export function routeFocusPerPage(): () => void {
  const { subscribe } = focusManager;
  focusManager.subscribe = (listener: Listener) =>
    running ? running.listen(listener) : subscribe.call(focusManager, listener);
  focusManager.isFocused = () => (running ? running.visible : true);
  return () => {
    // Own properties shadowing the class's methods: deleting them restores query-core's.
    Reflect.deleteProperty(focusManager, 'subscribe');
    Reflect.deleteProperty(focusManager, 'isFocused');
  };
}
