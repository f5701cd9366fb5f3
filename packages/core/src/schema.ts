import * as z from 'zod/mini';

/** What the count needs of `GET /v1/website/{w}/conversation/{s}`. */
interface Conversation {
  error?: unknown;
  data: { unread?: { visitor?: number | null | undefined } | null | undefined };
}

// Built on first use, so that a bundle which never reads Crisp's REST API (the relay or the
// chatbox path) drops this module, and these zod kinds, entirely.
let conversation: z.ZodMiniType<Conversation> | undefined;
let envelope: z.ZodMiniType<{ error?: unknown; reason: string }> | undefined;

/**
 * The visitor's unread count in a conversation response: `data.unread.visitor`, 0 when `unread`
 * or the field is missing (as the Flutter plugin reads it). `undefined` when the body is not a
 * valid conversation (`error: false`) or the count is not a non-negative safe integer.
 */
export function readVisitorCount(body: unknown): number | undefined {
  conversation ??= z.looseObject({
    data: z.looseObject({
      unread: z.optional(
        z.nullable(
          z.looseObject({ visitor: z.optional(z.nullable(z.int().check(z.nonnegative()))) }),
        ),
      ),
    }),
  });
  const parsed = conversation.safeParse(body);
  return parsed.success && parsed.data.error === false
    ? (parsed.data.data.unread?.visitor ?? 0)
    : undefined;
}

/** The `reason` of Crisp's error envelope, e.g. `{"error":true,"reason":"invalid_session"}`. */
export function readErrorReason(body: unknown): string | undefined {
  envelope ??= z.looseObject({ reason: z.string() });
  const parsed = envelope.safeParse(body);
  return parsed.success && parsed.data.error === true ? parsed.data.reason : undefined;
}
