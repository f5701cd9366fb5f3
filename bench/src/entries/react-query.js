// The baseline: the same badge with @tanstack/react-query's useQuery polling an endpoint (no
// validation, no stream, no backoff policy of its own). Measured with react and react-dom left out.
import { QueryClient, QueryClientProvider, useQuery } from '@tanstack/react-query';
import { createElement } from 'react';
import { createRoot } from 'react-dom/client';

const client = new QueryClient();
const sessionId = document.body.dataset.crispSession;

function Badge() {
  const { data } = useQuery({
    queryKey: ['crisp-unread', sessionId],
    queryFn: () => fetch(`/api/crisp-unread/sessions/${sessionId}/unread`).then((r) => r.json()),
    refetchInterval: 30_000,
  });
  return data?.count ? createElement('span', { className: 'badge' }, data.count) : null;
}

createRoot(document.getElementById('badge')).render(
  createElement(QueryClientProvider, { client }, createElement(Badge)),
);
