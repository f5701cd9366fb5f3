interface FakeCrispControls {
  operatorSends(count?: number): void;
  openChat(): void;
  closeChat(): void;
}

const fake = () => (window as unknown as { __fakeCrisp?: FakeCrispControls }).__fakeCrisp;

/** Buttons that play the operator and the visitor through the fake Crisp chatbox on the page. */
export function ChatboxControls() {
  return (
    <fieldset className="controls">
      <legend>Chatbox (fake)</legend>
      <button type="button" onClick={() => fake()?.operatorSends(1)}>
        Operator sends a message
      </button>
      <button type="button" onClick={() => fake()?.openChat()}>
        Visitor opens the chat
      </button>
      <button type="button" onClick={() => fake()?.closeChat()}>
        Visitor closes the chat
      </button>
    </fieldset>
  );
}
