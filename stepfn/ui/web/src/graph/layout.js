// The page's side of the layout worker (graph/layout.worker.js, built to
// /static/layout.js): drawing(definition, collapsed) answers a Promise of the drawing
// (graph/engine.js's flatten shape). The worker starts with the page (warmUp), so its
// script is loaded by the time the first graph is drawn.
const CACHE_SIZE = 6;
const drawings = new Map(); // key -> Promise of the drawing (most recently used last)
let worker = null;
let nextId = 1;
const waiting = new Map(); // id -> {resolve, reject}

function start() {
  if (worker) return worker;
  worker = new Worker(new URL('/static/layout.js', location.href));
  worker.onmessage = (e) => {
    const { id, drawing, error } = e.data;
    const w = waiting.get(id);
    if (!w) return;
    waiting.delete(id);
    if (error) w.reject(new Error(error));
    else w.resolve(drawing);
  };
  worker.onerror = (e) => {
    for (const w of waiting.values()) w.reject(new Error(e.message || 'the layout worker failed'));
    waiting.clear();
    worker = null;
  };
  return worker;
}

/** The layout engine: 'auto' (by size), or 'elk' or 'dagre' when the browser's local
 *  storage says so (`stepfn.layoutEngine`; the benchmark compares them). */
function preferredEngine() {
  try {
    return localStorage.getItem('stepfn.layoutEngine') || 'auto';
  } catch {
    return 'auto';
  }
}

/** Start the layout worker now (its script is large: load it while the page loads). */
export function warmUp() {
  try {
    start();
  } catch {
    // drawing() reports the error when a graph is drawn.
  }
}

/**
 * The drawing of `definition` (a parsed ASL object) with the Map/Parallel states named in
 * `collapsed` drawn as one box; laid out once per distinct pair among the last few (the
 * answer is shared: do not modify it).
 */
export function drawing(definition, collapsed = [], engine = preferredEngine()) {
  const folded = [...collapsed].sort();
  const key = `${engine}\u0000${folded.join('\u0000')}\u0000${JSON.stringify(definition)}`;
  const known = drawings.get(key);
  if (known) {
    drawings.delete(key);
    drawings.set(key, known);
    return known;
  }
  const promise = new Promise((resolve, reject) => {
    const id = nextId++;
    waiting.set(id, { resolve, reject });
    start().postMessage({ id, definition, collapsed: folded, engine });
  });
  promise.catch(() => drawings.delete(key));
  drawings.set(key, promise);
  if (drawings.size > CACHE_SIZE) drawings.delete(drawings.keys().next().value);
  return promise;
}
