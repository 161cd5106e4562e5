// Small pieces shared by the pages.
import { useCallback, useEffect, useState } from 'preact/hooks';

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

/** An API error as one line: its code and message. */
export function ErrorBox({ error }) {
  if (!error) return null;
  return <p class="error" role="alert">{error.code ? `${error.code}: ` : ''}{error.message || String(error)}</p>;
}

/** An execution (or Map Run) status as a coloured badge. */
export function StatusBadge({ status }) {
  return <span class={`badge status-${String(status || '').toLowerCase()}`}>{status}</span>;
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
