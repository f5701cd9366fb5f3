/** What the visitor told the chatbox about themselves (`["set", "user:…", […]]`). */
export interface FakeCrispUser {
  email: string | null;
  nickname: string | null;
  phone: string | null;
  avatar: string | null;
  /** `["set", "user:company", [name, details?]]` as `{ name, ...details }`. */
  company: Record<string, unknown> | null;
}

/** What `createFakeCrisp` controls: the chatbox side of Crisp, in a page or in a test. */
export interface FakeCrisp {
  /** Runs the snippet's `window.$crisp = []` (a plain queue) unless `$crisp` exists already. */
  install(): void;
  /**
   * Loads "Crisp's script": replaces the queue with the API object, runs the queued commands in
   * order (`on` and `off` included, so a later `on` replaces an earlier one), then fires
   * `session:loaded` with the session id.
   */
  load(options?: { sessionId?: string }): void;
  /** The operator sends messages: counted unread unless the chat is open; fires `message:received`. */
  operatorSends(count?: number): void;
  /** The visitor sends a text message from the chatbox; fires `message:sent`. */
  visitorSends(content?: string): void;
  /** The visitor opens the chat: everything is read; fires `chat:opened`. */
  openChat(): void;
  /** Fires `chat:closed`. */
  closeChat(): void;
  /**
   * What `["do", "session:reset"]` does: a new session (nothing unread, no user or session data),
   * announced by `session:loaded` with its id. Callbacks stay registered.
   */
  resetSession(options?: { sessionId?: string }): void;
  /** Fires any event to the one registered callback, as Crisp would. */
  emit(event: string, ...args: unknown[]): void;
  readonly loaded: boolean;
  readonly unread: number;
  readonly sessionId: string | null;
  readonly chatOpen: boolean;
  /** `false` after `["do", "chat:hide"]`, `true` again after `["do", "chat:show"]`. */
  readonly chatVisible: boolean;
  readonly user: Readonly<FakeCrispUser>;
  /** `["set", "session:data", …]` so far, by key. */
  readonly sessionData: Readonly<Record<string, unknown>>;
  /** The one callback per event that Crisp keeps. */
  readonly handlers: ReadonlyMap<string, (...args: unknown[]) => void>;
  /** Every `["do", …]` command run, e.g. `["do", "message:read"]`. */
  readonly actions: readonly unknown[][];
  /** Every `["set", …]`, `["config", …]` and `["safe", …]` command run, in order. */
  readonly settings: readonly unknown[][];
}

/**
 * A `$crisp` faithful to the real one's quirks: ONE callback per event (`on` replaces, `off`
 * removes), `get` and `is` do not exist before load (calling them throws, as with Crisp), `push`
 * only queues before load, and `session:loaded` passes the session id. It answers the `get`, `is`,
 * `set` and `do` commands `crisp-sdk-web` sends.
 *
 * Self-contained on purpose (no imports, no outer references): `fakeCrispScript()` ships this very
 * function to browser pages as source text.
 */
export function createFakeCrisp(target: object = globalThis): FakeCrisp {
  type Callback = (...args: unknown[]) => void;
  const host = target as { $crisp?: unknown };
  const handlers = new Map<string, Callback>();
  const actions: unknown[][] = [];
  const settings: unknown[][] = [];
  const blankUser = (): FakeCrispUser => ({
    email: null,
    nickname: null,
    phone: null,
    avatar: null,
    company: null,
  });
  let user = blankUser();
  let sessionData: Record<string, unknown> = {};
  let segments: string[] = [];
  let messageText = '';
  let loaded = false;
  let unread = 0;
  let sessionId: string | null = null;
  let chatOpen = false;
  let chatVisible = true;
  let fingerprint = 0;

  const fire = (event: string, ...args: unknown[]) => {
    const handler = handlers.get(event);
    if (handler) handler(...args);
  };
  const message = (from: 'operator' | 'user', type: string, content: unknown) => ({
    type,
    content,
    from,
    origin: 'chat',
    fingerprint: Date.now() * 1000 + (++fingerprint % 1000),
    timestamp: Date.now(),
  });

  const openChat = () => {
    chatOpen = true;
    unread = 0;
    fire('chat:opened');
  };
  const closeChat = () => {
    chatOpen = false;
    fire('chat:closed');
  };
  const visitorSends = (type: string, content: unknown) => {
    fire('message:sent', message('user', type, content));
  };
  const resetSession = (id?: string) => {
    // A reset queued before the script loaded finds no session to reset.
    if (sessionId === null) return;
    sessionId = id ?? `session_${globalThis.crypto.randomUUID()}`;
    unread = 0;
    user = blankUser();
    sessionData = {};
    segments = [];
    messageText = '';
    fire('session:loaded', sessionId);
  };

  const text = (value: unknown) => (typeof value === 'string' ? value : null);
  const set = (key: string, args: unknown[]) => {
    if (key === 'user:email') user = { ...user, email: text(args[0]) };
    else if (key === 'user:nickname') user = { ...user, nickname: text(args[0]) };
    else if (key === 'user:phone') user = { ...user, phone: text(args[0]) };
    else if (key === 'user:avatar') user = { ...user, avatar: text(args[0]) };
    else if (key === 'user:company') {
      const details = typeof args[1] === 'object' && args[1] !== null ? args[1] : {};
      user = { ...user, company: { name: text(args[0]), ...details } };
    } else if (key === 'session:data') {
      // Both forms Crisp takes: [[[key, value], …]] and [key, value].
      const pairs = Array.isArray(args[0]) ? (args[0] as unknown[]) : [args];
      for (const pair of pairs) {
        if (Array.isArray(pair) && typeof pair[0] === 'string') {
          sessionData = { ...sessionData, [pair[0]]: pair[1] };
        }
      }
    } else if (key === 'session:segments' && Array.isArray(args[0])) {
      const given = (args[0] as unknown[]).filter((s): s is string => typeof s === 'string');
      segments = args[1] === true ? given : [...new Set([...segments, ...given])];
    } else if (key === 'message:text') messageText = text(args[0]) ?? '';
  };

  const perform = (name: string, args: unknown[]) => {
    if (name === 'message:read') unread = 0;
    else if (name === 'chat:open') openChat();
    else if (name === 'chat:close') closeChat();
    else if (name === 'chat:show') chatVisible = true;
    else if (name === 'chat:hide') chatVisible = false;
    else if (name === 'message:send') visitorSends(String(args[0] ?? 'text'), args[1]);
    else if (name === 'session:reset') resetSession();
  };

  const run = (command: unknown) => {
    if (!Array.isArray(command)) return;
    const [verb, name, value] = command as [unknown, unknown, unknown];
    const args = Array.isArray(value) ? value : value === undefined ? [] : [value];
    if (verb === 'on' && typeof name === 'string' && typeof value === 'function')
      handlers.set(name, value as Callback);
    else if (verb === 'off' && typeof name === 'string') handlers.delete(name);
    else if (verb === 'do' && typeof name === 'string') {
      actions.push(command);
      perform(name, args);
    } else if (verb === 'set' && typeof name === 'string') {
      settings.push(command);
      set(name, args);
    } else if (verb === 'config' || verb === 'safe') settings.push(command);
  };

  const api = {
    push(...commands: unknown[]) {
      for (const command of commands) run(command);
      return 0;
    },
    get(key: string, ...args: unknown[]) {
      if (key === 'chat:unread:count') return unread;
      if (key === 'session:identifier') return sessionId;
      if (key === 'session:data') {
        return typeof args[0] === 'string' ? sessionData[args[0]] : { ...sessionData };
      }
      if (key === 'session:segments') return [...segments];
      if (key === 'user:email') return user.email;
      if (key === 'user:nickname') return user.nickname;
      if (key === 'user:phone') return user.phone;
      if (key === 'user:avatar') return user.avatar;
      if (key === 'user:company') return user.company === null ? null : { ...user.company };
      if (key === 'message:text') return messageText;
      return undefined;
    },
    is(key: string) {
      if (key === 'chat:opened') return chatOpen;
      if (key === 'chat:closed') return !chatOpen;
      if (key === 'chat:visible') return chatVisible;
      if (key === 'chat:hidden') return !chatVisible;
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
      for (let i = 0; i < count; i++) fire('message:received', message('operator', 'text', 'Hi'));
    },
    visitorSends(content = 'Hello') {
      visitorSends('text', content);
    },
    openChat,
    closeChat,
    resetSession(options = {}) {
      resetSession(options.sessionId);
    },
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
    get chatVisible() {
      return chatVisible;
    },
    get user() {
      return { ...user };
    },
    get sessionData() {
      return { ...sessionData };
    },
    handlers,
    actions,
    settings,
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
