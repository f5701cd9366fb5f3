import * as z from 'zod/mini';

const count = z.int().check(z.nonnegative());

/** `GET /v1/website/{w}/conversation/{s}`, as much of it as the count needs. */
export const conversationResponse = z.looseObject({
  error: z.literal(false),
  data: z.looseObject({
    unread: z.optional(z.nullable(z.looseObject({ visitor: z.optional(z.nullable(count)) }))),
  }),
});

/** Crisp's error envelope, e.g. `{"error":true,"reason":"invalid_session","data":{}}`. */
export const errorEnvelope = z.looseObject({ error: z.literal(true), reason: z.string() });

/**
 * The visitor's unread count in a conversation response: `data.unread.visitor`, 0 when `unread`
 * or the field is missing (as the Flutter plugin reads it). `undefined` when the body is not a
 * valid conversation or the count is not a non-negative integer.
 */
export function readVisitorCount(body: unknown): number | undefined {
  const parsed = conversationResponse.safeParse(body);
  if (!parsed.success) return undefined;
  return parsed.data.data.unread?.visitor ?? 0;
}

/** The `reason` of a Crisp error envelope, when the body is one. */
export function readErrorReason(body: unknown): string | undefined {
  const parsed = errorEnvelope.safeParse(body);
  return parsed.success ? parsed.data.reason : undefined;
}
