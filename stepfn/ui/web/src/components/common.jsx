// Small pieces shared by the pages.
import { useCallback, useEffect, useState } from 'preact/hooks';
import { errorSentence } from '../errors.js';
import { formatDuration } from '../util.js';

/**
 * Run `load()` (async) when `deps` change: {data, error, loading, reload}. A result that
 * arrives after the deps changed again is dropped.
 */
export function useAsync(load, deps) {
  const [state, setState] = useState({ data: undefined, error: null, loading: true });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let stale = false;
    setState((s) => ({ ...s, loading: true }));
    load().then((data) => !stale && setState({ data, error: null, loading: false }),
      (error) => !stale && setState({ data: undefined, error, loading: false }));
    return () => { stale = true; };
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { ...state, reload };
}

/** An API error as a sentence (never a bare error code; see errors.js). */
export function ErrorBox({ error }) {
  if (!error) return null;
  return (
    <p class="error" role="alert" data-code={error.code || undefined} title={error.code || undefined}>
      {errorSentence(error)}
    </p>
  );
}

/** The time now (seconds), ticking every `ms` while `active`. */
export function useNow(active, ms = 1000) {
  const [now, setNow] = useState(() => Date.now() / 1000);
  useEffect(() => {
    if (!active) return undefined;
    setNow(Date.now() / 1000);
    const timer = setInterval(() => setNow(Date.now() / 1000), ms);
    return () => clearInterval(timer);
  }, [active, ms]);
  return active ? now : Date.now() / 1000;
}

/** A duration from `start` to `end` (seconds), ticking while `end` is not known. */
export function LiveDuration({ start, end, ...rest }) {
  const now = useNow(end == null && start != null, 500);
  if (start == null) return <span {...rest}>–</span>;
  const to = end ?? now;
  return <span {...rest} data-live={end == null ? 'true' : undefined}>{formatDuration(Math.max(0, to - start))}</span>;
}

/** An execution (or Map Run) status as a coloured badge. */
export function StatusBadge({ status }) {
  const text = String(status || '').replace(/[_-]/g, ' ').toLowerCase();
  return (
    <span class={`badge status-${String(status || '').toLowerCase()}`} data-status-badge={status}>
      {text.charAt(0).toUpperCase() + text.slice(1)}
    </span>
  );
}

/** Tabs: `tabs` is [[id, label]]; the selected tab's id is `value`. */
export function Tabs({ tabs, value, onChange }) {
  return (
    <div class="tabs" role="tablist">
      {tabs.map(([id, label]) => (
        <button type="button" role="tab" aria-selected={value === id} data-tab={id}
          class={value === id ? 'active' : ''} onClick={() => onChange(id)}>{label}</button>
      ))}
    </div>
  );
}
