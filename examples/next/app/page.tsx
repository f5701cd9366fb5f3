import { normalizeSessionId } from '@crisp-unread/core';
import { UnreadBadge } from './UnreadBadge';

/**
 * The relay page. Which Crisp session is this visitor's is the app's to know (saved when the
 * chatbox reported it, say); here it comes from `?session=session_<uuid>`.
 */
export default async function RelayPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const { session } = await searchParams;
  const sessionId = typeof session === 'string' ? normalizeSessionId(session) : null;
  return (
    <>
      <h1>crisp-unread + Next.js</h1>
      <UnreadBadge sessionId={sessionId} />
      <p className="note">
        {sessionId
          ? 'Counts come from the relay route (app/api/crisp-unread), which holds the Crisp key.'
          : 'No session: open this page with ?session=session_<uuid>.'}
      </p>
    </>
  );
}
