// Edits of a definition (the ASL object), as pure functions: each takes a definition and
// returns a new one (the input is never changed), so the editor's undo history is a plain
// list of definitions. State names are unique in a whole machine (nested ones included),
// so a name is enough to find a state and the `States` object (scope) holding it.
import { START, END } from '../graph/model.js';

/** A deep copy of a JSON value. */
export const clone = (value) => (value === undefined ? undefined : JSON.parse(JSON.stringify(value)));

/** The scopes holding states: the machine, each Parallel branch, each Map processor. */
function childScopes(state) {
  const out = [];
  if (!state || typeof state !== 'object') return out;
  if (Array.isArray(state.Branches)) out.push(...state.Branches.filter(isScope));
  const processor = state.ItemProcessor || state.Iterator;
  if (isScope(processor)) out.push(processor);
  return out;
}

function isScope(value) {
  return !!value && typeof value === 'object' && !!value.States && typeof value.States === 'object';
}

/** Every state as [name, state, scope] (depth first, in definition order). */
export function allStates(definition) {
  const out = [];
  const walk = (scope) => {
    if (!isScope(scope)) return;
    for (const [name, state] of Object.entries(scope.States)) {
      out.push([name, state, scope]);
      childScopes(state).forEach(walk);
    }
  };
  walk(definition);
  return out;
}

/** {state, scope} of the state `name`, or null. */
export function findState(definition, name) {
  const hit = allStates(definition).find(([n]) => n === name);
  return hit ? { state: hit[1], scope: hit[2] } : null;
}

/** The names of the states of the scope holding `name` (the valid Next targets). */
export function siblingNames(definition, name) {
  const found = name ? findState(definition, name) : null;
  const scope = found ? found.scope : definition;
  return isScope(scope) ? Object.keys(scope.States) : [];
}

/** `base`, or `base 2`, `base 3`... : a name no state of the machine has yet. */
export function uniqueName(definition, base) {
  const taken = new Set(allStates(definition).map(([n]) => n));
  if (!taken.has(base)) return base;
  for (let i = 2; ; i += 1) {
    if (!taken.has(`${base} ${i}`)) return `${base} ${i}`;
  }
}

/** Whether a state of this type ends its branch by itself (no Next, no End). */
export const isTerminal = (state) => state && (state.Type === 'Succeed' || state.Type === 'Fail');

/** Point a new state at `target`: its Next, or for a Choice its Default and first rule. */
function continueTo(state, target) {
  if (isTerminal(state)) return;
  if (state.Type === 'Choice') {
    if (target) {
      state.Default = target;
      (state.Choices || []).forEach((rule) => { if (!rule.Next) rule.Next = target; });
    }
    return;
  }
  delete state.End;
  delete state.Next;
  if (target) state.Next = target;
  else state.End = true;
}

/** Make the names inside `state` (branches, processor) unique in `definition`. */
function renameNested(definition, state) {
  for (const scope of childScopes(state)) {
    for (const name of Object.keys(scope.States)) {
      const fresh = uniqueName(definition, name);
      if (fresh !== name) renameIn(scope, name, fresh);
    }
    for (const inner of Object.values(scope.States)) renameNested(definition, inner);
  }
}

function addTo(scope, name, state, definition) {
  renameNested(definition, state);
  scope.States = { ...scope.States, [name]: state };
}

/**
 * Insert `state` (named `name`) on a graph edge (the Graph's edge info: {kind, from, to,
 * index}): the edge's source now leads to the new state, which leads to the old target.
 */
export function insertOnEdge(definition, edge, name, state) {
  const def = clone(definition);
  const fresh = clone(state);
  if (edge.kind === 'start') {
    continueTo(fresh, def.StartAt);
    addTo(def, name, fresh, def);
    def.StartAt = name;
    return def;
  }
  const found = findState(def, edge.from);
  if (!found) return def;
  const from = found.state;
  const to = edge.to === END ? null : edge.to;
  if (edge.kind === 'end') {
    if (isTerminal(from)) return appendTo(definition, scopeOwner(definition, edge.from), name, state);
    delete from.End;
    from.Next = name;
  } else if (edge.kind === 'next') {
    from.Next = name;
  } else if (edge.kind === 'choice') {
    from.Choices[edge.index].Next = name;
  } else if (edge.kind === 'default') {
    from.Default = name;
  } else if (edge.kind === 'catch') {
    from.Catch[edge.index].Next = name;
  }
  continueTo(fresh, to);
  addTo(found.scope, name, fresh, def);
  return def;
}

/** The name of the state owning the scope that holds `name` (null: the machine). */
function scopeOwner(definition, name) {
  const found = findState(definition, name);
  if (!found || found.scope === definition) return null;
  for (const [owner, state] of allStates(definition)) {
    const i = childScopes(state).indexOf(found.scope);
    if (i >= 0) return state.Branches ? `${owner}#${i}` : owner;
  }
  return null;
}

/** The scope named by a Graph group id: a Map state's name, `Parallel#i` for a branch. */
function scopeById(definition, id) {
  if (!id) return definition;
  const [owner, branch] = id.split('#');
  const found = findState(definition, owner);
  if (!found) return null;
  if (branch !== undefined) return (found.state.Branches || [])[Number(branch)] || null;
  const processor = found.state.ItemProcessor || found.state.Iterator;
  return isScope(processor) ? processor : null;
}

/**
 * Add `state` at the end of a scope (`scopeId`: null for the machine, a Map's name, or
 * `Parallel#i`): it becomes StartAt of an empty scope, else the last state that ends the
 * scope (End: true) now leads to it.
 */
export function appendTo(definition, scopeId, name, state) {
  const def = clone(definition);
  const scope = scopeById(def, scopeId);
  if (!scope) return def;
  if (!scope.States || typeof scope.States !== 'object') scope.States = {};
  const fresh = clone(state);
  const names = Object.keys(scope.States);
  const last = names.reverse().find((n) => scope.States[n]?.End === true);
  if (!names.length || !scope.StartAt || !scope.States[scope.StartAt]) scope.StartAt = name;
  else if (last) {
    delete scope.States[last].End;
    scope.States[last].Next = name;
  }
  continueTo(fresh, null);
  addTo(scope, name, fresh, def);
  return def;
}

/** Add `state` (named `name`, linked from nothing yet) to the scope holding `sibling`. */
export function addBeside(definition, sibling, name, state) {
  const def = clone(definition);
  const found = findState(def, sibling);
  if (!found) return def;
  addTo(found.scope, name, clone(state), def);
  return def;
}

/** Insert `state` right after the state `after` (on its Next or End edge). */
export function insertAfter(definition, after, name, state) {
  const found = findState(definition, after);
  if (!found) return appendTo(definition, null, name, state);
  const s = found.state;
  if (typeof s.Next === 'string') return insertOnEdge(definition, { kind: 'next', from: after, to: s.Next }, name, state);
  if (s.End === true) return insertOnEdge(definition, { kind: 'end', from: after, to: END }, name, state);
  return appendTo(definition, scopeOwner(definition, after), name, state);
}

/** Every transition target field of a state, as [holder, key] pairs. */
function targets(state) {
  const out = [];
  if (!state || typeof state !== 'object') return out;
  if (typeof state.Next === 'string') out.push([state, 'Next']);
  if (typeof state.Default === 'string') out.push([state, 'Default']);
  for (const rule of Array.isArray(state.Choices) ? state.Choices : []) {
    if (rule && typeof rule.Next === 'string') out.push([rule, 'Next']);
  }
  for (const c of Array.isArray(state.Catch) ? state.Catch : []) {
    if (c && typeof c.Next === 'string') out.push([c, 'Next']);
  }
  return out;
}

function renameIn(scope, from, to) {
  const entries = Object.entries(scope.States).map(([n, s]) => [n === from ? to : n, s]);
  scope.States = Object.fromEntries(entries);
  if (scope.StartAt === from) scope.StartAt = to;
  for (const state of Object.values(scope.States)) {
    for (const [holder, key] of targets(state)) if (holder[key] === from) holder[key] = to;
  }
}

/** Rename a state (and every transition to it). Throws when the name is taken or empty. */
export function renameState(definition, from, to) {
  if (from === to) return definition;
  if (!to || to.length > 80) throw new Error('A state name has 1 to 80 characters.');
  if (findState(definition, to)) throw new Error(`A state named "${to}" already exists.`);
  const def = clone(definition);
  const found = findState(def, from);
  if (found) renameIn(found.scope, from, to);
  return def;
}

/**
 * Delete a state. Transitions to it now go where it went (its Next); when it ended its
 * scope, the states that led to it by Next end the scope instead.
 */
export function removeState(definition, name) {
  const def = clone(definition);
  const found = findState(def, name);
  if (!found) return def;
  const { scope, state } = found;
  const next = typeof state.Next === 'string' ? state.Next : null;
  const { [name]: _removed, ...rest } = scope.States;
  scope.States = rest;
  for (const other of Object.values(scope.States)) {
    for (const [holder, key] of targets(other)) {
      if (holder[key] !== name) continue;
      if (next) holder[key] = next;
      else if (holder === other && key === 'Next') {
        delete other.Next;
        other.End = true;
      } else if (key === 'Default') {
        delete holder.Default;
      }
      // A Choice rule or a catcher keeps its (now missing) target: the validator shows it.
    }
  }
  if (scope.StartAt === name) scope.StartAt = next || Object.keys(scope.States)[0] || '';
  return def;
}

/** Set (or, with `undefined`, remove) one field of a state. */
export function setField(definition, name, field, value) {
  const def = clone(definition);
  const found = findState(def, name);
  if (!found) return def;
  if (value === undefined) delete found.state[field];
  else found.state[field] = clone(value);
  return def;
}

/** Set the state's transition: `target` a state name, or null for End: true. */
export function setNext(definition, name, target) {
  const def = clone(definition);
  const found = findState(def, name);
  if (!found) return def;
  delete found.state.Next;
  delete found.state.End;
  if (target) found.state.Next = target;
  else found.state.End = true;
  return def;
}

/**
 * Where a diagnostic's `location` points: {state, field} (`/States/A/Catch[0]/Next` ->
 * {state: 'A', field: 'Catch[0]/Next'}); state is null for the machine itself.
 */
export function locate(location) {
  if (!location) return { state: null, field: '' };
  const parts = location.split('/');
  let state = null;
  let rest = parts.slice(1);
  for (let i = 0; i < parts.length - 1; i += 1) {
    if (parts[i] === 'States') {
      state = parts[i + 1];
      rest = parts.slice(i + 2);
    }
  }
  return { state, field: rest.join('/') };
}

/** The form field a diagnostic belongs to: `Catch[0]/Next` -> `Catch`. */
export const topField = (field) => (field || '').split('/')[0].replace(/\[\d+\]$/, '');

/** The query language a state uses (its own, else the machine's, else JSONPath). */
export function queryLanguage(definition, state) {
  return (state && state.QueryLanguage) || definition.QueryLanguage || 'JSONPath';
}

export { START, END };
