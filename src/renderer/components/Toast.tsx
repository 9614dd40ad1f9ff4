/** The latest error, until dismissed. */
export function Toast({ message, onDismiss }: { message: string; onDismiss(): void }) {
  return (
    <div className="toast" role="alert" data-testid="toast">
      <span>{message}</span>
      <button className="icon-button" onClick={onDismiss} aria-label="Dismiss">
        ✕
      </button>
    </div>
  );
}
