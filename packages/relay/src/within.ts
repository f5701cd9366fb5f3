/** What `promise` brings within `waitMs`, or `'late'` (it goes on, unwatched). */
export async function within<T>(promise: Promise<T>, waitMs: number): Promise<T | 'late'> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<'late'>((resolve) => {
        timer = setTimeout(() => resolve('late'), waitMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
