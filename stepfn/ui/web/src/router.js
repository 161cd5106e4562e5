// A small history-API router: pages are reached by real paths (/machines/<ARN>,
// /executions/<ARN>), so any URL can be shared and reloaded (the server answers every
// page path with index.html).
import { h } from 'preact';
import { useEffect, useState } from 'preact/hooks';

const listeners = new Set();
let guard = null; // () => a question to ask before leaving the page, or null
let here = location.pathname + location.search;

/**
 * Ask before the app leaves the current page: `question()` returns the question to ask
 * (e.g. unsaved changes) or null to leave freely. Returns a function that removes it.
 */
export function guardLeaving(question) {
  guard = question;
  return () => { if (guard === question) guard = null; };
}

function mayLeave() {
  const question = guard && guard();
  return !question || window.confirm(question);
}

/** Go to `path` (pushState) and re-render the current page (after the guard agrees). */
export function navigate(path, { replace = false, force = false } = {}) {
  if (!force && path !== here && !mayLeave()) return false;
  if (replace) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  here = location.pathname + location.search;
  listeners.forEach((fn) => fn());
  return true;
}

/** Change the URL without leaving the page (the page stays mounted, its state kept). */
export function replaceQuietly(path) {
  history.replaceState(null, '', path);
  here = location.pathname + location.search;
}

window.addEventListener('popstate', () => {
  // Back or forward: the URL changed already; staying means going back to it.
  if (!mayLeave()) {
    history.pushState(null, '', here);
    return;
  }
  here = location.pathname + location.search;
  listeners.forEach((fn) => fn());
});

/** The current location ({path, query}); re-renders the caller when it changes. */
export function useLocation() {
  const [, setTick] = useState(0);
  useEffect(() => {
    const fn = () => setTick((t) => t + 1);
    listeners.add(fn);
    return () => listeners.delete(fn);
  }, []);
  return { path: location.pathname, query: new URLSearchParams(location.search) };
}

/** The path of a machine's page (an ARN of a machine, version or alias). */
export const machinePath = (arn) => `/machines/${encodeURIComponent(arn)}`;
/** The path of an execution's page. */
export const executionPath = (arn) => `/executions/${encodeURIComponent(arn)}`;

/** An <a> that navigates without reloading the page (modified clicks open as usual). */
export function Link({ href, children, ...rest }) {
  const onClick = (e) => {
    if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(href);
  };
  return h('a', { href, onClick, ...rest }, children);
}

/**
 * The page for `path` from `routes`: a list of [RegExp, Component]; the pattern's
 * groups are URI-decoded and passed as the `params` prop.
 */
export function match(routes, path) {
  for (const [pattern, component] of routes) {
    const m = pattern.exec(path);
    if (m) {
      // An optional group that did not match stays undefined (not the text "undefined").
      return { component, params: m.slice(1).map((g) => (g === undefined ? g : decodeURIComponent(g))) };
    }
  }
  return null;
}
