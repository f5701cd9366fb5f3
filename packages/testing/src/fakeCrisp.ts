/** What `createFakeCrisp` controls: the chatbox side of Crisp, in a page or in a test. */
export interface FakeCrisp {
  /** Runs the snippet's `window.$crisp = []` (a plain queue) unless `$crisp` exists already. */
  install(): void;
  /**
   * Loads "Crisp's script": replaces the queue with the API object, runs the queued commands in
   * order, then fires `session:loaded` with the session id.
   */
  load(options?: { sessionId?: string }): void;
  /** The operator sends messages: counted unread unless the chat is open; fires `message:received`. */
  operatorSends(count?: number): void;
  /** The visitor opens the chat: everything is read; fires `chat:opened`. */
  openChat(): void;
  /** Fires `chat:closed`. */
  closeChat(): void;
  /** Fires any event to the one registered callback, as Crisp would. */
  emit(event: string, ...args: unknown[]): void;
  readonly loaded: boolean;
  readonly unread: number;
  readonly sessionId: string | null;
  readonly chatOpen: boolean;
  /** The one callback per event that Crisp keeps. */
  readonly handlers: ReadonlyMap<string, (...args: unknown[]) => void>;
  /** Every `["do", …]` command run, e.g. `["do", "message:read"]`. */
  readonly actions: readonly unknown[][];
}

/**
 * A `$crisp` faithful to the real one's quirks: ONE callback per event (`on` replaces, `off`
 * removes), `get` and `is` do not exist before load (calling them throws, as with Crisp), `push`
 * only queues before load, and `session:loaded` passes the session id.
 *
 * Self-contained on purpose (no imports, no outer references): `fakeCrispScript()` ships this very
 * function to browser pages as source text.
 */
export function createFakeCrisp(target: object = globalThis): FakeCrisp {
  type Callback = (...args: unknown[]) => void;
  const host = target as { $crisp?: unknown };
  const handlers = new Map<string, Callback>();
  const actions: unknown[][] = [];
  let loaded = false;
  let unread = 0;
  let sessionId: string | null = null;
  let chatOpen = false;

  const fire = (event: string, ...args: unknown[]) => {
    const handler = handlers.get(event);
    if (handler) handler(...args);
  };

  const openChat = () => {
    chatOpen = true;
    unread = 0;
    fire('chat:opened');
  };
  const closeChat = () => {
    chatOpen = false;
    fire('chat:closed');
  };

  const run = (command: unknown) => {
    if (!Array.isArray(command)) return;
    const [verb, name, value] = command as [unknown, unknown, unknown];
    if (verb === 'on' && typeof name === 'string' && typeof value === 'function')
      handlers.set(name, value as Callback);
    else if (verb === 'off' && typeof name === 'string') handlers.delete(name);
    else if (verb === 'do' && typeof name === 'string') {
      actions.push(command);
      if (name === 'message:read') unread = 0;
      else if (name === 'chat:open') openChat();
      else if (name === 'chat:close') closeChat();
    }
  };

  const api = {
    push(...commands: unknown[]) {
      for (const command of commands) run(command);
      return 0;
    },
    get(key: string) {
      if (key === 'chat:unread:count') return unread;
      if (key === 'session:identifier') return sessionId;
      return undefined;
    },
    is(key: string) {
      if (key === 'chat:opened') return chatOpen;
      if (key === 'chat:closed') return !chatOpen;
      return false;
    },
  };

  return {
    install() {
      if (host.$crisp === undefined) host.$crisp = [];
    },
    load(options = {}) {
      if (loaded) return;
      const queue = Array.isArray(host.$crisp) ? (host.$crisp as unknown[]) : [];
      loaded = true;
      host.$crisp = api;
      for (const command of queue.slice()) run(command);
      sessionId = options.sessionId ?? `session_${globalThis.crypto.randomUUID()}`;
      fire('session:loaded', sessionId);
    },
    operatorSends(count = 1) {
      if (!chatOpen) unread += count;
      for (let i = 0; i < count; i++)
        fire('message:received', { from: 'operator', type: 'text', content: 'Hi' });
    },
    openChat,
    closeChat,
    emit: fire,
    get loaded() {
      return loaded;
    },
    get unread() {
      return unread;
    },
    get sessionId() {
      return sessionId;
    },
    get chatOpen() {
      return chatOpen;
    },
    handlers,
    actions,
  };
}

/**
 * A script for a browser page that plays Crisp's loader with the fake: it runs the snippet's
 * `window.$crisp = []`, then "loads" after `loadDelayMs`, and exposes the control API as
 * `window.__fakeCrisp` for tests (`page.evaluate(() => window.__fakeCrisp.operatorSends(2))`).
 */
export function fakeCrispScript(
  options: { sessionId?: string; loadDelayMs?: number } = {},
): string {
  const load = JSON.stringify(
    options.sessionId === undefined ? {} : { sessionId: options.sessionId },
  );
  const delay = Math.max(0, Math.floor(options.loadDelayMs ?? 200));
  return [
    '(function () {',
    `  var createFakeCrisp = ${createFakeCrisp.toString()};`,
    '  var fake = createFakeCrisp(window);',
    '  fake.install();',
    '  window.__fakeCrisp = fake;',
    `  setTimeout(function () { fake.load(${load}); }, ${delay});`,
    '})();',
  ].join('\n');
}
