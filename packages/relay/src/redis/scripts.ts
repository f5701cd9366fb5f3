// The store's Lua scripts, each in its own file (what each takes and returns is said at its top).
// They are text in the built package (tsup's `.lua` text loader) and in tests (the `lua-text`
// plugin in vitest.config.ts): no runtime reads a file, so the relay runs where no filesystem is
// (Workers). Imported as `#redis-scripts` (package.json `imports`): Node running the TypeScript
// source itself reads the same files instead (scriptsFromDisk.ts).
import deriveCount from './deriveCount.lua';
import keepLater from './keepLater.lua';
import releaseLease from './releaseLease.lua';
import takeBudget from './takeBudget.lua';

export const scripts = { deriveCount, keepLater, releaseLease, takeBudget } as const;
