import type { Metadata } from 'next';
import Link from 'next/link';
import type { ReactNode } from 'react';
import '@crisp-unread/example-kit/styles.css';

export const metadata: Metadata = {
  title: 'crisp-unread · Next.js',
  description: "A live count of a Crisp chat visitor's unread messages, in the Next.js App Router.",
};

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>
        <main>
          <nav>
            <Link href="/">Relay</Link> · <Link href="/chatbox">Chatbox</Link>
          </nav>
          {children}
        </main>
      </body>
    </html>
  );
}
