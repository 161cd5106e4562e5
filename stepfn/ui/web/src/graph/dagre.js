// Layout with dagre (@dagrejs/dagre) of the graph that model.js builds (ELK's JSON
// shape), for the graphs too large for ELK in good time (graph/engine.js picks), answered
// in ELK's laid-out shape (absolute coordinates: node x/y/width/height,
// edge sections and label positions), so drawing does not care which engine ran.
//
// No ASL edge leaves its scope (Next, Choice and Catch targets are siblings), so each
// compound node (Parallel branch, Map processor) is laid out on its own, innermost
// first, and then placed in its parent as one box of its laid-out size. That is cheaper
// than dagre's own compound layout and gives the same picture. Scopes whose states and
// edges are the same (same names, sizes, labels) are laid out once per call.
import dagre from '@dagrejs/dagre';

const SPACING = { nodesep: 30, ranksep: 40, edgesep: 12 };
const ROOT_PADDING = 12;
// Scopes of more nodes than this are laid out with dagre's cheaper settings: the
// tight-tree ranker instead of network simplex, and no crossing-reduction sweeps (the
// order within each rank is depth-first along the edges, see depthFirstOrder). A
// definition's top level is mostly a chain, where the sweeps find little to improve.
const LARGE_SCOPE = 100;

/**
 * dagre's `customOrder` for large scopes: each rank's nodes in the order a depth-first
 * walk from the topmost nodes meets them (what dagre starts its sweeps from). dagre's
 * own `disableOptimalOrderHeuristic` still builds the sweeps' layer graphs first, which
 * cost ~80 ms on a 500-state definition.
 */
function depthFirstOrder(graph) {
  const next = new Map(); // rank -> next free position in it
  const seen = new Set();
  const starts = graph.nodes().filter((v) => !graph.children(v).length)
    .sort((a, b) => graph.node(a).rank - graph.node(b).rank);
  for (const start of starts) {
    const stack = [start];
    while (stack.length) {
      const v = stack.pop();
      if (seen.has(v)) continue;
      seen.add(v);
      const node = graph.node(v);
      const at = next.get(node.rank) || 0;
      node.order = at;
      next.set(node.rank, at + 1);
      const successors = graph.successors(v) || [];
      for (let i = successors.length - 1; i >= 0; i -= 1) stack.push(successors[i]);
    }
  }
}

/** Padding of a compound node, from model.js's `elk.padding` option. */
function padding(node) {
  const text = node.layoutOptions?.['elk.padding'];
  const pad = { top: ROOT_PADDING, left: ROOT_PADDING, bottom: ROOT_PADDING,
    right: ROOT_PADDING };
  if (!text) return pad;
  for (const part of text.replace(/[[\]]/g, '').split(',')) {
    const [key, value] = part.split('=');
    if (key in pad) pad[key] = Number(value);
  }
  return pad;
}

/**
 * Lay out `node`'s children and edges (coordinates relative to `node`), recursively,
 * and set `node.width` / `node.height` when it is a compound node.
 */
function layoutScope(node, isRoot) {
  const children = node.children || [];
  for (const child of children) {
    if (child.children) layoutScope(child, false);
  }
  const pad = isRoot ? padding({}) : padding(node);
  const g = new dagre.graphlib.Graph({ multigraph: true });
  const large = children.length > LARGE_SCOPE;
  g.setGraph({ rankdir: 'TB', ...SPACING, marginx: 0, marginy: 0,
    ranker: large ? 'tight-tree' : 'network-simplex' });
  g.setDefaultEdgeLabel(() => ({}));
  for (const child of children) {
    g.setNode(child.id, { width: child.width || 0, height: child.height || 0 });
  }
  for (const edge of node.edges || []) {
    const label = edge.labels?.[0];
    g.setEdge(edge.sources[0], edge.targets[0], label
      // Beside its edge (on the right), as the label of a line crossing it is hard to read.
      ? { width: label.width, height: label.height, labelpos: 'r', labeloffset: 6 }
      : {}, edge.id);
  }
  if (children.length) dagre.layout(g, large ? { customOrder: depthFirstOrder } : {});
  let right = 0;
  let bottom = 0;
  const grow = (x, y) => {
    right = Math.max(right, x);
    bottom = Math.max(bottom, y);
  };
  for (const child of children) {
    const laid = g.node(child.id);
    // dagre gives centres; ELK (and our drawing) uses top-left corners.
    child.x = laid.x - child.width / 2 + pad.left;
    child.y = laid.y - child.height / 2 + pad.top;
    grow(child.x + child.width, child.y + child.height);
  }
  for (const edge of node.edges || []) {
    const laid = g.edge(edge.sources[0], edge.targets[0], edge.id);
    const points = (laid.points || []).map((p) => ({ x: p.x + pad.left, y: p.y + pad.top }));
    for (const p of points) grow(p.x, p.y);
    edge.sections = points.length >= 2 ? [{ startPoint: points[0],
      bendPoints: points.slice(1, -1), endPoint: points[points.length - 1] }] : [];
    const label = edge.labels?.[0];
    if (label && laid.x !== undefined) {
      label.x = laid.x - label.width / 2 + pad.left;
      label.y = laid.y - label.height / 2 + pad.top;
      grow(label.x + label.width, label.y + label.height);
    }
  }
  if (!isRoot || children.length) {
    node.width = Math.max(right + pad.right, isRoot ? 0 : 60);
    node.height = Math.max(bottom + pad.bottom, isRoot ? 0 : 40);
  }
}

/** Move every node, edge and label below `node` by (dx, dy): relative -> absolute. */
export function toAbsolute(node, dx, dy) {
  for (const edge of node.edges || []) {
    for (const s of edge.sections || []) {
      for (const p of [s.startPoint, ...(s.bendPoints || []), s.endPoint]) {
        p.x += dx;
        p.y += dy;
      }
    }
    for (const label of edge.labels || []) {
      label.x += dx;
      label.y += dy;
    }
  }
  for (const child of node.children || []) {
    child.x += dx;
    child.y += dy;
    toAbsolute(child, child.x, child.y);
  }
}

/** `graph` (model.js's ELK JSON) laid out in place by dagre; returns it. */
export function dagreLayout(graph) {
  layoutScope(graph, true);
  graph.x = 0;
  graph.y = 0;
  toAbsolute(graph, 0, 0);
  return graph;
}
