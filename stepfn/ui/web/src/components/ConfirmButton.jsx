// <ConfirmButton>: a destructive action (Stop, Redrive, Delete) that asks first: the
// button shows the question with Confirm and Cancel; the action runs on Confirm only,
// and its error (as a sentence) shows beside it.
import { useState } from 'preact/hooks';
import { ErrorBox } from './common.jsx';

/** A destructive action's button that asks first: `question`, then Confirm / Cancel. */
export function ConfirmButton({ label, question, confirmLabel, action, disabled, title, onDone, danger = true, name }) {
  const [asking, setAsking] = useState(false);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState(null);
  const run = async () => {
    setBusy(true);
    setProblem(null);
    try {
      await action();
      setAsking(false);
      if (onDone) onDone();
    } catch (e) {
      setProblem(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <span class="confirm-wrap">
      {!asking && <button type="button" class={danger ? 'danger' : ''} data-action={name || label.toLowerCase().split(' ')[0]}
        disabled={disabled} title={title} onClick={() => setAsking(true)}>{label}</button>}
      {asking && (
        <span class="confirm" role="alertdialog" aria-label={question}>{question}
          <button type="button" class="danger" data-action={`confirm-${name || label.toLowerCase().split(' ')[0]}`} disabled={busy}
            onClick={run}>{busy ? '…' : confirmLabel}</button>
          <button type="button" data-action="cancel" onClick={() => { setAsking(false); setProblem(null); }}>Cancel</button>
        </span>
      )}
      <ErrorBox error={problem} />
    </span>
  );
}
