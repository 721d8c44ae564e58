// What every form that calls the API does: busy while the call runs, its error kept for ErrorText; and the
// confirmation every destructive action asks for.
import type { ComponentChildren } from 'preact';
import { useCallback, useState } from 'preact/hooks';
import { ErrorText } from './common.js';

export interface Action {
  busy: boolean;
  error: unknown;
  setError: (error: unknown) => void;
  /** Runs `action`: busy meanwhile; a throw becomes `error` (cleared at the start). */
  run: (action: () => Promise<unknown>) => Promise<void>;
}

export function useAction(): Action {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const run = useCallback(async (action: () => Promise<unknown>) => {
    setBusy(true);
    setError(undefined);
    try {
      await action();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }, []);
  return { busy, error, setError, run };
}

/** A dialog's body: what is about to happen, the confirming button (`action`), and Cancel. */
export function ConfirmForm({
  action,
  onConfirm,
  onCancel,
  children,
}: {
  action: string;
  onConfirm: () => Promise<unknown>;
  onCancel: () => void;
  children: ComponentChildren;
}) {
  const { busy, error, run } = useAction();
  return (
    <form
      onSubmit={(event) => {
        event.preventDefault();
        run(onConfirm);
      }}
    >
      <p>{children}</p>
      <ErrorText error={error} />
      <div class="toolbar dialog-actions">
        <button type="submit" class="danger" disabled={busy}>
          {action}
        </button>
        <button type="button" onClick={onCancel} disabled={busy}>
          Cancel
        </button>
      </div>
    </form>
  );
}
