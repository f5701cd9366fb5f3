import {
  type DurableObjectNamespaceLike,
  unreadRelayObject,
  unreadRelayWorker,
} from '@crisp-unread/relay/workers';

/** The Worker's bindings: `vars` and secrets (`wrangler secret put CRISP_KEY`), and the object. */
interface Env {
  CRISP_WEBSITE_ID: string;
  CRISP_IDENTIFIER: string;
  CRISP_KEY: string;
  CRISP_WEBHOOK_SECRET?: string;
  /** Crisp's API origin; the emulator's in tests. */
  CRISP_API_URL?: string;
  /** Comma-separated origins of the pages that read counts. */
  RELAY_ALLOWED_ORIGINS?: string;
  /** The SSE heartbeat (ms): a stream whose visitor left is released after a heartbeat or two. */
  RELAY_HEARTBEAT_MS?: string;
  CRISP_UNREAD_RELAY: DurableObjectNamespaceLike;
}

/** The Durable Object (`class_name` in wrangler.json) that holds the relay, its streams included. */
export const CrispUnreadRelay = unreadRelayObject((env: Env) => ({
  websiteId: env.CRISP_WEBSITE_ID,
  identifier: env.CRISP_IDENTIFIER,
  key: env.CRISP_KEY,
  webhookSecret: env.CRISP_WEBHOOK_SECRET || undefined,
  baseUrl: env.CRISP_API_URL || undefined,
  allowedOrigins: env.RELAY_ALLOWED_ORIGINS?.split(',').map((origin) => origin.trim()) ?? [],
  heartbeatMs: Number(env.RELAY_HEARTBEAT_MS) || undefined,
}));

/** Every request, streams and web hooks included, goes to that one object. */
export default unreadRelayWorker<Env>({ binding: 'CRISP_UNREAD_RELAY' });
