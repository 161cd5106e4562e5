// A definition (ASL) as a graph in ELK's JSON shape (laid out by graph/engine.js with
// ELK or dagre): one node per state (state names are unique within a whole machine,
// nested ones included, so the name is the node's id), Parallel branches and Map item
// processors as compound nodes holding their states (unless collapsed: then the Map or
// Parallel is one box), and edges for Next, End, Choice rules, Default and Catch, each
// with a `kind`.
import { shortRule, ruleText } from './rules.js';

export const START = '__start__';
export const END = '__end__';
// Sizes follow the fonts of graph/style.js (state names 14 px, subtitles and edge
// labels 12 px).
const CHAR = 7.9; // average width of a character of a state name, in px
const LABEL_CHAR = 6.6; // of an edge label
const NODE_H = 48;
const LABEL_H = 17;
export const GROUP_TITLE = 40; // room for a Map's or Parallel's title in its box

function nodeSize(name, type) {
  const width = Math.min(300, Math.max(140, Math.ceil(name.length * CHAR) + 48));
  return { width: type === 'Choice' ? width + 24 : width, height: NODE_H };
}

function label(text, title) {
  return { text, title, width: Math.ceil(text.length * LABEL_CHAR) + 10, height: LABEL_H };
}

/** The line under a state's name: its resource for a Task, else its type. */
export function subtitleOf(type, state) {
  if (type === 'Task') {
    const res = typeof state.Resource === 'string' ? state.Resource : '';
    if (res.startsWith('arn:aws:states:::')) return res.slice(17);
    if (res.includes(':function:')) return `λ ${res.split(':function:')[1]}`;
    return res.split(':').slice(-2).join(':') || 'Task';
  }
  if (type === 'Map') {
    const mode = processorOf(state)?.ProcessorConfig?.Mode;
    return mode === 'DISTRIBUTED' || state.ItemReader ? 'Map (distributed)' : 'Map';
  }
  return type;
}

/** The item processor of a Map state (ItemProcessor, or the older Iterator). */
export function processorOf(state) {
  return state.ItemProcessor || state.Iterator || null;
}

/** How many states a scope holds, nested ones included. */
export function countStates(scope) {
  let n = 0;
  for (const state of Object.values((scope && scope.States) || {})) {
    if (!state || typeof state !== 'object') continue;
    n += 1;
    if (state.Type === 'Parallel' && Array.isArray(state.Branches)) {
      for (const b of state.Branches) n += countStates(b);
    } else if (state.Type === 'Map' && processorOf(state)) {
      n += countStates(processorOf(state));
    }
  }
  return n;
}

/**
 * The graph (ELK's JSON shape) of `definition` (a parsed ASL object) and `info`, a Map from every
 * node id to {name, type, state, kind: 'state'|'branch'|'start'|'end', parent, collapsed,
 * inner}, and from every edge id to {kind, from, to, label, title, index}. `collapsed`:
 * names of Map and Parallel states drawn as one box (their states hidden).
 */
export function toElkGraph(definition, collapsed = new Set()) {
  const info = new Map();
  const root = { id: 'root', children: [], edges: [] };
  const start = { id: START, width: 60, height: 30 };
  const end = { id: END, width: 60, height: 30 };
  info.set(START, { kind: 'start', name: 'Start' });
  info.set(END, { kind: 'end', name: 'End' });
  root.children.push(start);
  addScope(root, definition, info, null, collapsed);
  root.children.push(end);
  if (definition && definition.StartAt && info.has(definition.StartAt)) {
    addEdge(root, info, START, definition.StartAt, 'start');
  }
  return { graph: root, info };
}

function addEdge(container, info, from, to, kind, text, title, index) {
  const id = `e${info.size}`;
  const edge = { id, sources: [from], targets: [to] };
  if (text) edge.labels = [label(text, title)];
  container.edges.push(edge);
  info.set(id, { kind, from, to, label: text, title, index });
}

/** Note the names of every state below `scope` as hidden inside `owner`. */
function hide(scope, info, owner) {
  for (const [name, state] of Object.entries((scope && scope.States) || {})) {
    if (!state || typeof state !== 'object' || info.has(name)) continue;
    info.set(name, { kind: 'hidden', name, type: String(state.Type || 'Unknown'), state, parent: owner, hiddenIn: owner });
    if (state.Type === 'Parallel' && Array.isArray(state.Branches)) state.Branches.forEach((b) => hide(b, info, owner));
    else if (state.Type === 'Map' && processorOf(state)) hide(processorOf(state), info, owner);
  }
}

function addScope(container, scope, info, parent, collapsed) {
  const states = (scope && typeof scope.States === 'object' && scope.States) || {};
  const top = parent === null;
  const pending = [];
  for (const [name, state] of Object.entries(states)) {
    if (!state || typeof state !== 'object' || info.has(name)) continue;
    const type = String(state.Type || 'Unknown');
    const node = { id: name, ...nodeSize(name, type) };
    const nests = (type === 'Parallel' && Array.isArray(state.Branches)) ||
      (type === 'Map' && !!processorOf(state));
    const folded = nests && collapsed.has(name);
    const inner = !nests ? 0 : type === 'Map' ? countStates(processorOf(state))
      : state.Branches.reduce((n, b) => n + countStates(b), 0);
    const entry = { kind: 'state', name, type, state, parent, nests, collapsed: folded, inner,
      sub: subtitleOf(type, state) };
    info.set(name, entry);
    container.children.push(node);
    if (folded) {
      node.height = NODE_H + 14;
      node.width += 28; // room for the expand button
      if (type === 'Map') hide(processorOf(state), info, name);
      else state.Branches.forEach((b) => hide(b, info, name));
    } else if (type === 'Parallel' && nests) {
      compound(node);
      // Its branches side by side in their order (as one layer), not packed as components.
      node.layoutOptions['elk.separateConnectedComponents'] = 'false';
      state.Branches.forEach((branch, i) => {
        const id = `${name}#${i}`;
        const child = { id, children: [], edges: [] };
        compound(child, 24);
        child.layoutOptions['elk.alignment'] = 'TOP'; // the branches start on one line
        info.set(id, { kind: 'branch', name: `Branch ${i + 1}`, parent: name });
        node.children.push(child);
        addScope(child, branch, info, id, collapsed);
      });
    } else if (type === 'Map' && nests) {
      compound(node);
      addScope(node, processorOf(state), info, name, collapsed);
    }
    pending.push([name, state, type]);
  }
  // Edges once every node of the scope exists (a Next may point forward).
  for (const [name, state, type] of pending) {
    const known = (target) => typeof target === 'string' && states[target] !== undefined;
    if (type === 'Choice') {
      (state.Choices || []).forEach((rule, i) => {
        if (known(rule?.Next)) {
          addEdge(container, info, name, rule.Next, 'choice', shortRule(rule), ruleText(rule), i);
        }
      });
      if (known(state.Default)) addEdge(container, info, name, state.Default, 'default', 'Default');
    } else if (known(state.Next)) {
      addEdge(container, info, name, state.Next, 'next');
    }
    (Array.isArray(state.Catch) ? state.Catch : []).forEach((catcher, i) => {
      if (known(catcher?.Next)) {
        const errors = (catcher.ErrorEquals || []).join(', ');
        addEdge(container, info, name, catcher.Next, 'catch', `Catch ${errors}`.slice(0, 40),
          `Catch #${i + 1}: ${errors}`, i);
      }
    });
    // A Fail state is drawn as an end of its own (an edge from each one to the single
    // End node would pull them all to the bottom of a large graph).
    const ends = state.End === true || type === 'Succeed';
    if (top && ends) addEdge(container, info, name, END, 'end');
  }
}

function compound(node, top = GROUP_TITLE) {
  delete node.width;
  delete node.height;
  node.children = node.children || [];
  node.edges = node.edges || [];
  // Room for the title at the top.
  node.layoutOptions = { 'elk.padding': `[top=${top + 6},left=14,bottom=14,right=14]` };
}
