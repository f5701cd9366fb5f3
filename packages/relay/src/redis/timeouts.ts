/** `run()`, rejected when it takes longer than `ms` (it goes on; its failure is then ignored). */
export async function withTimeout<T>(run: () => Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const command = Promise.resolve().then(run);
  command.catch(() => undefined);
  try {
    return await Promise.race([
      command,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('Redis command timed out')), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Quits an ioredis connection politely, or drops it when QUIT takes longer than `timeoutMs`. */
export async function quitRedis(
  client: { quit(): Promise<unknown>; disconnect(): void },
  timeoutMs: number,
): Promise<void> {
  try {
    await withTimeout(() => client.quit(), timeoutMs);
  } catch {
    client.disconnect();
  }
}
