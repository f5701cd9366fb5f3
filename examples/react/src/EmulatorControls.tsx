import { useState } from 'react';

/** Buttons that play the operator and the visitor through the emulator's control API. */
export function EmulatorControls({
  emulatorUrl,
  websiteId,
  sessionId,
}: {
  emulatorUrl: string;
  websiteId: string;
  sessionId: string;
}) {
  const [failing, setFailing] = useState(false);
  // A text/plain POST is a simple request: no CORS preflight to the emulator's other origin.
  const call = (method: 'POST' | 'DELETE', path: string, body: unknown = {}) =>
    fetch(`${emulatorUrl}/_emulator${path}`, { method, body: JSON.stringify(body) });
  const session = `/websites/${websiteId}/sessions/${sessionId}`;
  const toggleFault = async () => {
    await (failing
      ? call('DELETE', '/faults')
      : call('POST', '/faults', { fault: { type: 'server-error' } }));
    setFailing(!failing);
  };
  return (
    <fieldset className="controls">
      <legend>Emulator</legend>
      <button type="button" onClick={() => call('POST', `${session}/operator-sends`)}>
        Operator sends a message
      </button>
      <button type="button" onClick={() => call('POST', `${session}/visitor-reads`)}>
        Visitor reads
      </button>
      <button type="button" onClick={toggleFault}>
        {failing ? 'Stop the 500s' : 'Answer 500'}
      </button>
    </fieldset>
  );
}
