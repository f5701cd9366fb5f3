import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseJsonBody, readBody, sendJson } from './http.js';
import type { CrispEmulator, FaultOptions, WebhookTarget } from './types.js';

type Handler = (
  emulator: CrispEmulator,
  body: Record<string, unknown>,
  params: string[],
) => unknown;

const session = '/_emulator/websites/([^/]+)/sessions/([^/]+)';
const routes: Array<[method: string, path: RegExp, handler: Handler]> = [
  ['POST', /^\/_emulator\/websites$/, (emulator, body) => emulator.createWebsite(body)],
  [
    'POST',
    /^\/_emulator\/websites\/([^/]+)\/sessions$/,
    (emulator, body, [websiteId]) => ({
      sessionId: emulator.createSession(websiteId!, {
        sessionId: body.sessionId as string | undefined,
        unread: body.unread as number | undefined,
        omitUnread: body.omitUnread === true,
      }),
    }),
  ],
  [
    'DELETE',
    new RegExp(`^${session}$`),
    (emulator, _body, [websiteId, sessionId]) => {
      emulator.deleteSession(websiteId!, sessionId!);
      return { ok: true };
    },
  ],
  [
    'POST',
    new RegExp(`^${session}/operator-sends$`),
    (emulator, body, [websiteId, sessionId]) => ({
      unread: emulator.operatorSends(websiteId!, sessionId!, body.count as number | undefined),
    }),
  ],
  [
    'POST',
    new RegExp(`^${session}/visitor-sends$`),
    (emulator, body, [websiteId, sessionId]) => ({
      operator: emulator.visitorSends(websiteId!, sessionId!, body.count as number | undefined),
    }),
  ],
  [
    'POST',
    new RegExp(`^${session}/visitor-reads$`),
    (emulator, _body, [websiteId, sessionId]) => {
      emulator.visitorReads(websiteId!, sessionId!);
      return { unread: emulator.unreadOf(websiteId!, sessionId!) };
    },
  ],
  [
    'GET',
    new RegExp(`^${session}/unread$`),
    (emulator, _body, [websiteId, sessionId]) => ({
      unread: emulator.unreadOf(websiteId!, sessionId!),
    }),
  ],
  [
    'POST',
    /^\/_emulator\/faults$/,
    (emulator, body) => {
      emulator.fault(
        body.fault as never,
        {
          times: body.times,
          sessionId: body.sessionId,
          method: body.method,
        } as FaultOptions,
      );
      return { ok: true };
    },
  ],
  [
    'DELETE',
    /^\/_emulator\/faults$/,
    (emulator) => {
      emulator.clearFaults();
      return { ok: true };
    },
  ],
  [
    'PUT',
    /^\/_emulator\/webhook$/,
    (emulator, body) => {
      emulator.setWebhook(webhookTarget(body));
      return { ok: true };
    },
  ],
  [
    'DELETE',
    /^\/_emulator\/webhook$/,
    (emulator) => {
      emulator.setWebhook(null);
      return { ok: true };
    },
  ],
  [
    'PUT',
    /^\/_emulator\/websites\/([^/]+)\/webhook$/,
    (emulator, body, [websiteId]) => {
      emulator.setWebhook(webhookTarget(body), { websiteId: websiteId! });
      return { ok: true };
    },
  ],
  [
    'DELETE',
    /^\/_emulator\/websites\/([^/]+)\/webhook$/,
    (emulator, _body, [websiteId]) => {
      emulator.setWebhook(null, { websiteId: websiteId! });
      return { ok: true };
    },
  ],
  [
    'PUT',
    /^\/_emulator\/websites\/([^/]+)\/subscribed$/,
    (emulator, body, [websiteId]) => {
      emulator.setSubscribed(websiteId!, body.subscribed as boolean);
      return { ok: true };
    },
  ],
  [
    'PUT',
    /^\/_emulator\/cache-hits$/,
    (emulator, body) => {
      emulator.setCacheHits(body.reads as number);
      return { ok: true };
    },
  ],
  [
    'POST',
    /^\/_emulator\/webhook-redeliveries$/,
    // Answered once the retries are: a page can then look at the relay.
    (emulator, body) => emulator.redeliverWebhooks(body as never).then((d) => ({ deliveries: d })),
  ],
  [
    'GET',
    /^\/_emulator\/webhook-deliveries$/,
    (emulator) => ({ deliveries: emulator.webhookDeliveries }),
  ],
  ['GET', /^\/_emulator\/requests$/, (emulator) => ({ requests: emulator.requests })],
  [
    'DELETE',
    /^\/_emulator\/requests$/,
    (emulator) => {
      emulator.clearRequests();
      return { ok: true };
    },
  ],
  [
    'POST',
    /^\/_emulator\/quota$/,
    (emulator, body) => {
      emulator.setDailyQuota(body.dailyQuota as number);
      return { ok: true };
    },
  ],
  [
    'DELETE',
    /^\/_emulator\/quota$/,
    (emulator) => {
      emulator.resetQuota();
      return { ok: true };
    },
  ],
];

// Only the target's fields: anything else a page sends is not the emulator's business.
function webhookTarget(body: Record<string, unknown>): WebhookTarget {
  const { url, secret, timestampUnit, lateByMs } = body;
  return { url, secret, timestampUnit, lateByMs } as WebhookTarget;
}

/** Answers a call to the control API under `/_emulator/` (not logged, no authentication). */
export async function handleControl(
  emulator: CrispEmulator,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
): Promise<void> {
  const text = await readBody(req);
  const found = routes
    .map(([method, pattern, handler]) => ({ method, match: pattern.exec(path), handler }))
    .filter(({ match }) => match !== null);
  const route = found.find(({ method }) => method === req.method);
  if (!route) {
    const status = found.length > 0 ? 405 : 404;
    return sendJson(res, status, { error: `no control route ${req.method} ${path}` });
  }
  let body: unknown;
  try {
    body = parseJsonBody(text) ?? {};
  } catch {
    return sendJson(res, 400, { error: 'the body must be JSON' });
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return sendJson(res, 400, { error: 'the body must be a JSON object' });
  }
  try {
    const params = route.match!.slice(1).map((param) => decodeURIComponent(param));
    const status = req.method === 'POST' && /\/(websites|sessions)$/.test(path) ? 201 : 200;
    const answer = await route.handler(emulator, body as Record<string, unknown>, params);
    return sendJson(res, status, answer);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return sendJson(res, 400, { error: message });
  }
}
