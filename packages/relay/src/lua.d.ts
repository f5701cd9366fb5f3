/** A Lua script, imported as its text (see src/redis/scripts.ts). */
declare module '*.lua' {
  const script: string;
  export default script;
}
