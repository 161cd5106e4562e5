// Layout of model.js's graph by dagre (graph/dagre.js), answered as a Promise of the
// graph laid out in ELK's JSON shape (every node and edge with absolute coordinates).
import { dagreLayout } from './dagre.js';
import { toElkGraph } from './model.js';

/** Kept for callers of the earlier ELK worker: dagre needs no warm-up. */
export function warmUp() {}

/** The graph laid out: every node and edge with absolute coordinates. */
export function layout(graph) {
  return new Promise((resolve) => resolve(dagreLayout(graph)));
}

// The last few definitions' drawings (flatten's answer), by their JSON text: going from
// a machine's page to one of its executions (or back) draws the same definition again.
const CACHE_SIZE = 4;
const drawings = new Map();

/**
 * The drawing of `definition` (a parsed ASL object) as `flatten` returns it, laid out
 * once per distinct definition among the last few (the answer is shared: do not
 * modify it).
 */
export function drawing(definition) {
  const key = JSON.stringify(definition);
  const known = drawings.get(key);
  if (known) {
    drawings.delete(key); // most recently used last
    drawings.set(key, known);
    return known;
  }
  const { graph, info } = toElkGraph(definition);
  const drawn = flatten(dagreLayout(graph), info);
  drawings.set(key, drawn);
  if (drawings.size > CACHE_SIZE) drawings.delete(drawings.keys().next().value);
  return drawn;
}

/**
 * The laid-out graph as flat lists for drawing: `groups` (compound nodes, outermost
 * first), `nodes` (leaf nodes), `edges` (with `points` and label boxes), and the
 * graph's `width` and `height`.
 */
export function flatten(laid, info) {
  const groups = [];
  const nodes = [];
  const edges = [];
  const walk = (node, depth) => {
    for (const child of node.children || []) {
      const entry = { id: child.id, x: child.x, y: child.y, width: child.width,
        height: child.height, depth, info: info.get(child.id) || {} };
      if (child.children && child.children.length) {
        groups.push(entry);
        walk(child, depth + 1);
      } else if (entry.info.kind === 'branch' || (entry.info.type === 'Map' ||
                 entry.info.type === 'Parallel') && child.children) {
        groups.push(entry); // an empty branch or processor is still a box
      } else {
        nodes.push(entry);
      }
    }
    for (const edge of node.edges || []) {
      const points = [];
      for (const s of edge.sections || []) {
        points.push(s.startPoint, ...(s.bendPoints || []), s.endPoint);
      }
      edges.push({ id: edge.id, points, labels: edge.labels || [],
        info: info.get(edge.id) || {} });
    }
  };
  walk(laid, 0);
  return { groups, nodes, edges, width: laid.width || 0, height: laid.height || 0 };
}
