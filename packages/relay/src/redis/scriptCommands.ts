import { scripts } from '#redis-scripts';
import type { RedisClientLike } from './types';

export type ScriptName = keyof typeof scripts;
export type RunScript = (
  name: ScriptName,
  numkeys: number,
  ...args: (string | number)[]
) => Promise<unknown>;

type ScriptCommand = (numkeys: number, ...args: (string | number)[]) => Promise<unknown>;

/**
 * The store's Lua scripts as commands of `client`. ioredis's `defineCommand` sends a script's
 * text once per connection, then only its SHA1 (EVALSHA), and the text again on NOSCRIPT (a Redis
 * restarted or flushed); a client without it sends the text with every EVAL. Each command's name
 * carries a hash of its text, so two versions of the relay sharing one client keep their own.
 */
export function scriptCommands(client: RedisClientLike): RunScript {
  const { defineCommand } = client;
  if (typeof defineCommand !== 'function') {
    return (name, numkeys, ...args) => client.eval(scripts[name], numkeys, ...args);
  }
  const commands = {} as Record<ScriptName, ScriptCommand>;
  for (const [name, lua] of Object.entries(scripts) as [ScriptName, string][]) {
    const command = `crispUnread_${name}_${textHash(lua)}`;
    defineCommand.call(client, command, { lua });
    // `defineCommand` adds the command to the client as a method of that name.
    commands[name] = (Reflect.get(client, command) as ScriptCommand).bind(client);
  }
  return (name, numkeys, ...args) => commands[name](numkeys, ...args);
}

/** FNV-1a over the text's UTF-16 units, in hex: a name, not a security measure. */
function textHash(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return (hash >>> 0).toString(16).padStart(8, '0');
}
