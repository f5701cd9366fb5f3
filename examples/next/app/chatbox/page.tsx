import { connection } from 'next/server';
import { ChatboxBadge } from './ChatboxBadge';

/**
 * The chatbox page: the official `crisp-sdk-web` loads Crisp's chatbox, and the count is the
 * chatbox's own (no key, no request). Read at request time, so `next build` needs neither:
 * `CRISP_WEBSITE_ID`, and `CRISP_CHATBOX_SCRIPT` to load a stand-in for Crisp's loader script.
 */
export default async function ChatboxPage() {
  await connection();
  const websiteId = process.env.CRISP_WEBSITE_ID;
  const clientUrl = process.env.CRISP_CHATBOX_SCRIPT;
  return (
    <>
      <h1>crisp-unread + crisp-sdk-web</h1>
      {websiteId ? (
        <ChatboxBadge websiteId={websiteId} {...(clientUrl && { clientUrl })} />
      ) : (
        <p className="note">Set CRISP_WEBSITE_ID to load the Crisp chatbox on this page.</p>
      )}
    </>
  );
}
