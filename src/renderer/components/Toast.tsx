/** The latest error (or a notice with an action, such as Undo), until dismissed; an error goes by itself after a few seconds. */
import { useCallback, useEffect, useRef, useState } from 'react';

/** How long an error toast stays (long enough to read a sentence twice). */
export const ERROR_TOAST_MS = 6000;

/** The app's one toast: what it shows, and `showError` to show a core notice (a warning reads as one, not as an error). */
export function useToast() {
  const [toast, setToast] = useState<{ message: string; level: 'warning' | 'error' } | null>(null);
  const showError = useCallback((message: string, level: 'warning' | 'error' = 'error') => setToast({ message, level }), []);
  return { toast, showError, dismiss: () => setToast(null) };
}

export function Toast({
  message,
  onDismiss,
  action,
  level = 'error',
  testId = 'toast',
}: {
  message: string;
  level?: 'warning' | 'error';
  onDismiss(): void;
  action?: { label: string; run(): void };
  testId?: string;
}) {
  const dismiss = useRef(onDismiss);
  useEffect(() => {
    dismiss.current = onDismiss;
  }, [onDismiss]);
  // Only errors go by themselves: a toast with an action waits for the user. A new message starts the time again.
  const waits = action !== undefined;
  useEffect(() => {
    if (waits) return;
    const timer = setTimeout(() => dismiss.current(), ERROR_TOAST_MS);
    return () => clearTimeout(timer);
  }, [message, waits]);
  return (
    <div
      className={`toast${action ? ' toast-action' : level === 'warning' ? ' toast-warning' : ''}`}
      role={action || level === 'warning' ? 'status' : 'alert'}
      data-testid={testId}
    >
      <span>{message}</span>
      {action && (
        <button onClick={action.run} data-testid={`${testId}-action`}>
          {action.label}
        </button>
      )}
      <button className="icon-button" onClick={onDismiss} aria-label="Dismiss">
        ✕
      </button>
    </div>
  );
}
