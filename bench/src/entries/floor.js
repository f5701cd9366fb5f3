// The dependency floor of the badge path: the least of each prescribed dependency that a store on
// them must ship — a QueryClient (the default cache), one rxjs Observable (unreadCount$) and one
// zod/mini object schema (the relay's answer) — and nothing of crisp-unread. No badge built on this
// stack can be smaller than this entry.
import { QueryClient } from '@tanstack/query-core';
import { Observable } from 'rxjs';
import * as z from 'zod/mini';

const client = new QueryClient();
const answer = z.object({ count: z.number() });
export const floor = new Observable((subscriber) => {
  subscriber.next(answer.safeParse(client.getQueryData(['count'])).success);
});
