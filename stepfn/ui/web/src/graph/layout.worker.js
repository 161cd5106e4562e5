// The layout worker: lays out definitions off the page's thread (graph/engine.js), so
// the page stays responsive while a large graph is laid out. Messages: {id, definition,
// collapsed, engine} in, {id, drawing} or {id, error} out.
import { WARM_UP, layoutDefinition, pickEngine } from './engine.js';

// Compile ELK's code now, while the page still loads its data.
const warm = layoutDefinition(WARM_UP, [], 'elk').catch(() => null);

self.onmessage = async (e) => {
  const { id, definition, collapsed, engine } = e.data;
  // ELK's first layout waits for its warm-up (it compiles the same code); dagre's not.
  if (pickEngine(definition, engine) === 'elk') await warm;
  try {
    const t0 = performance.now();
    const drawing = await layoutDefinition(definition, collapsed, engine);
    drawing.layoutMs = performance.now() - t0;
    self.postMessage({ id, drawing });
  } catch (err) {
    self.postMessage({ id, error: String((err && err.message) || err) });
  }
};
