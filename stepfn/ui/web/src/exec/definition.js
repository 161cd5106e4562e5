// Finding states inside a definition (state names are unique in a whole machine).
import { processorOf } from '../graph/model.js';

/** Every state of `definition`, nested ones included: name -> {state, container, queryLanguage}.
 *  `container` is the name of the Map or Parallel state it runs in (null at the top). */
export function statesOf(definition) {
  const found = new Map();
  const walk = (scope, container, language) => {
    const lang = scope?.QueryLanguage || language;
    for (const [name, state] of Object.entries(scope?.States || {})) {
      if (!state || typeof state !== 'object') continue;
      const own = state.QueryLanguage || lang;
      found.set(name, { state, container, queryLanguage: own });
      if (state.Type === 'Parallel') (state.Branches || []).forEach((b) => walk(b, name, own));
      if (state.Type === 'Map' && processorOf(state)) walk(processorOf(state), name, own);
    }
  };
  walk(definition, null, 'JSONPath');
  return found;
}

/** The names of the states nested (at any depth) inside the Map or Parallel `name`. */
export function statesInside(all, name) {
  const out = [];
  for (const [inner] of all) {
    let c = all.get(inner).container;
    while (c) {
      if (c === name) { out.push(inner); break; }
      c = all.get(c)?.container;
    }
  }
  return out;
}

/** Whether a Map state runs its items as child executions (a Distributed Map). */
export function isDistributed(state) {
  const mode = processorOf(state)?.ProcessorConfig?.Mode;
  return mode === 'DISTRIBUTED' || !!state.ItemReader;
}
