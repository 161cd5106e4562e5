// A definition (ASL) as a graph in ELK's JSON shape (laid out by graph/dagre.js, which
// reads that shape; the name toElkGraph is kept for its callers): one node per state
// (state names are unique within a whole machine, nested ones included, so the name is
// the node's id), Parallel
// branches and Map item processors as compound nodes holding their states, and edges
// for Next, End, Choice rules, Default and Catch, each with a `kind`.
import { shortRule, ruleText } from './rules.js';

export const START = '__start__';
export const END = '__end__';
const CHAR = 7.2; // average width of a character of the node font, in px
const NODE_H = 44;
const LABEL_H = 14;

function nodeSize(name, type) {
  const width = Math.min(280, Math.max(130, Math.ceil(name.length * CHAR) + 44));
  return { width: type === 'Choice' ? width + 20 : width, height: NODE_H };
}

function label(text, title) {
  return { text, title, width: Math.ceil(text.length * 6.2) + 8, height: LABEL_H };
}

/** The item processor of a Map state (ItemProcessor, or the older Iterator). */
export function processorOf(state) {
  return state.ItemProcessor || state.Iterator || null;
}

/**
 * The graph (ELK's JSON shape) of `definition` (a parsed ASL object) and `info`, a Map from every
 * node id to {name, type, state, kind: 'state'|'branch'|'start'|'end', parent}, and
 * from every edge id to {kind, from, to, label, title, index}.
 */
export function toElkGraph(definition) {
  const info = new Map();
  // A compound node's padding is given as ELK's `elk.padding` option (see compound()).
  const root = { id: 'root', children: [], edges: [] };
  const start = { id: START, width: 56, height: 28 };
  const end = { id: END, width: 56, height: 28 };
  info.set(START, { kind: 'start', name: 'Start' });
  info.set(END, { kind: 'end', name: 'End' });
  root.children.push(start);
  addScope(root, definition, info, null);
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

function addScope(container, scope, info, parent) {
  const states = (scope && typeof scope.States === 'object' && scope.States) || {};
  const top = parent === null;
  const pending = [];
  for (const [name, state] of Object.entries(states)) {
    if (!state || typeof state !== 'object' || info.has(name)) continue;
    const type = String(state.Type || 'Unknown');
    const node = { id: name, ...nodeSize(name, type) };
    info.set(name, { kind: 'state', name, type, state, parent });
    container.children.push(node);
    if (type === 'Parallel' && Array.isArray(state.Branches)) {
      compound(node, 'DOWN');
      state.Branches.forEach((branch, i) => {
        const id = `${name}#${i}`;
        const child = { id, children: [], edges: [] };
        compound(child, 'DOWN', 10);
        info.set(id, { kind: 'branch', name: `Branch ${i + 1}`, parent: name });
        node.children.push(child);
        addScope(child, branch, info, id);
      });
    } else if (type === 'Map' && processorOf(state)) {
      compound(node, 'DOWN');
      addScope(node, processorOf(state), info, name);
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

function compound(node, direction, top = 30) {
  delete node.width;
  delete node.height;
  node.children = node.children || [];
  node.edges = node.edges || [];
  // Room for the title at the top; branches end up side by side (dagre puts unconnected
  // nodes of the same rank in one row).
  node.layoutOptions = {
    'elk.padding': `[top=${top + 14},left=14,bottom=14,right=14]`,
    'elk.direction': direction,
  };
}
