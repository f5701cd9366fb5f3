// The Crisp emulator as the bench uses it: one website and session per case, no daily quota in the
// way, and a naive poller for the baselines.
import {
  type CrispEmulator,
  type EmulatedWebsite,
  startCrispEmulator,
} from '@crisp-unread/testing';

export interface Case {
  emulator: CrispEmulator;
  website: EmulatedWebsite;
  sessionId: string;
  /** Upstream GETs of this case's conversation so far. */
  gets(): number;
}

export async function startEmulator(): Promise<CrispEmulator> {
  const emulator = await startCrispEmulator();
  emulator.setDailyQuota(100_000_000);
  return emulator;
}

/** A fresh website and session on `emulator`, so that each case counts its own requests. */
export function newCase(emulator: CrispEmulator): Case {
  const website = emulator.createWebsite();
  const sessionId = emulator.createSession(website.websiteId);
  return {
    emulator,
    website,
    sessionId,
    gets: () => emulator.requestCount({ method: 'GET', websiteId: website.websiteId, sessionId }),
  };
}

/**
 * The naive client every baseline stands for: `setInterval` + `fetch` of the conversation with
 * Basic auth, each subscriber on its own. Calls `onCount` with every count it reads.
 */
export function naivePoller(
  { emulator, website, sessionId }: Case,
  intervalMs: number,
  onCount: (count: number) => void = () => {},
): () => void {
  const url = `${emulator.url}/v1/website/${website.websiteId}/conversation/${sessionId}`;
  const headers = {
    Authorization: `Basic ${btoa(`${website.identifier}:${website.key}`)}`,
    'X-Crisp-Tier': website.tier,
  };
  const poll = async () => {
    try {
      const response = await fetch(url, { headers });
      const body = (await response.json()) as { data?: { unread?: { visitor?: number } } };
      onCount(body.data?.unread?.visitor ?? 0);
    } catch {
      // A naive client ignores failures.
    }
  };
  void poll();
  const timer = setInterval(poll, intervalMs);
  return () => clearInterval(timer);
}
