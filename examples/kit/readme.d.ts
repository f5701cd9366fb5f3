/** The README's code blocks that show a file: its path (from the block's first line) and the rest. */
export function fileBlocks(readmePath: string): { path: string; code: string }[];
