/**
 * Crisp's web hook timestamp in epoch milliseconds, whether it was sent in seconds or in
 * milliseconds (Crisp does not document the unit; its examples are in milliseconds): a value below
 * 10^11 is seconds, since 10^11 ms is in 1973 and 10^11 s in the year 5138. `null` when it is not a
 * plain decimal number.
 */
export function hookTimeMs(timestamp: string): { ms: number; unit: 's' | 'ms' } | null {
  if (!/^\d{1,16}$/.test(timestamp)) return null;
  const value = Number(timestamp);
  return value < 1e11 ? { ms: value * 1000, unit: 's' } : { ms: value, unit: 'ms' };
}
