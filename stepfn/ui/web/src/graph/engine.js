// The layout of a definition's graph, ready to draw (flat lists of groups, nodes and
// edges with absolute coordinates). Runs in the layout worker (graph/layout.worker.js),
// off the page's thread; node runs it too (tests, measurements).
//
// ELK's layered algorithm (elkjs) with orthogonal edge routing: edges go around nodes,
// Map and Parallel boxes included, and a state after a Parallel sits right below it.
// No ASL edge leaves its scope, so ELK lays out each compound node (Parallel branch, Map
// processor) on its own, innermost first (its default SEPARATE_CHILDREN), which is also
// the cheapest. Above ELK_MAX_STATES states dagre (graph/dagre.js) lays the graph out
// instead: ELK's cost grows faster (benchmarks/ui.py, Chromium on 2 shared cores: 100
// states 0.3-0.4 s with ELK, 0.07 s with dagre; 500 states 1.3-2 s with ELK, 0.35 s
// with dagre); dagre's edges are polylines between ranks with rounded corners, which
// may cut the corner of a box, the lesser evil on such graphs than seconds of waiting.
import ELK from 'elkjs/lib/elk.bundled.js';
import { dagreLayout, toAbsolute } from './dagre.js';
import { countStates, toElkGraph } from './model.js';

/** The largest graph (in states) ELK lays out; dagre above (see benchmarks/ui.py). */
export const ELK_MAX_STATES = 300;

const ELK_OPTIONS = {
  'elk.algorithm': 'layered',
  'elk.direction': 'DOWN',
  'elk.edgeRouting': 'ORTHOGONAL',
  'elk.layered.spacing.nodeNodeBetweenLayers': '34',
  'elk.spacing.nodeNode': '28',
  'elk.spacing.edgeNode': '16',
  'elk.spacing.edgeEdge': '10',
  'elk.layered.spacing.edgeNodeBetweenLayers': '14',
  'elk.layered.spacing.edgeEdgeBetweenLayers': '10',
  'elk.spacing.componentComponent': '24',
  'elk.edgeLabels.placement': 'CENTER',
  'elk.spacing.edgeLabel': '4',
  // The definition's order is the order its author reads: keep it where it costs no
  // crossings (branches left to right, the first Choice rule leftmost).
  'elk.layered.considerModelOrder.strategy': 'NODES_AND_EDGES',
  'elk.layered.nodePlacement.strategy': 'BRANDES_KOEPF',
  'elk.layered.considerModelOrder.components': 'MODEL_ORDER',
  'elk.layered.thoroughness': '4',
};

let elk = null;

function withOptions(node, root) {
  node.layoutOptions = { ...ELK_OPTIONS, ...(root ? { 'elk.padding': '[top=12,left=12,bottom=12,right=12]' } : {}),
    ...(node.layoutOptions || {}) };
  for (const child of node.children || []) {
    if (child.children) withOptions(child, false);
  }
}

/** `graph` (model.js's ELK JSON) laid out by ELK, with absolute coordinates. */
export async function elkLayout(graph) {
  if (!elk) elk = new ELK();
  withOptions(graph, true);
  const laid = await elk.layout(graph);
  laid.x = 0;
  laid.y = 0;
  toAbsolute(laid, 0, 0);
  return laid;
}

/** The engine that lays `definition` out: `engine`, or by size when 'auto'. */
export function pickEngine(definition, engine = 'auto') {
  if (engine !== 'auto') return engine;
  return countStates(definition) <= ELK_MAX_STATES ? 'elk' : 'dagre';
}

/** A small definition laid out once when the worker starts, so that ELK's code is
 *  compiled by the browser before the first real graph arrives. */
export const WARM_UP = {
  StartAt: 'A',
  States: {
    A: { Type: 'Choice', Choices: [{ Variable: '$.x', NumericEquals: 1, Next: 'B' }], Default: 'C' },
    B: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Catch: [{ ErrorEquals: ['States.ALL'], Next: 'F' }], Next: 'C' },
    C: { Type: 'Parallel', Next: 'M', Branches: [
      { StartAt: 'D', States: { D: { Type: 'Pass', Next: 'E' }, E: { Type: 'Wait', Seconds: 1, End: true } } },
      { StartAt: 'G', States: { G: { Type: 'Pass', End: true } } }] },
    M: { Type: 'Map', End: true, ItemProcessor: { StartAt: 'H', States: { H: { Type: 'Pass', Next: 'I' }, I: { Type: 'Succeed' } } } },
    F: { Type: 'Fail', Error: 'E' },
  },
};

/**
 * The drawing of `definition`: {groups, nodes, edges, width, height, engine, states}.
 * `collapsed`: names of Map/Parallel states drawn as one box; `engine`: 'elk', 'dagre'
 * or 'auto' (by size).
 */
export async function layoutDefinition(definition, collapsed = [], engine = 'auto') {
  const states = countStates(definition);
  const use = pickEngine(definition, engine);
  const { graph, info } = toElkGraph(definition, new Set(collapsed));
  const laid = use === 'elk' ? await elkLayout(graph) : dagreLayout(graph);
  return { ...flatten(laid, info), engine: use, states };
}

/**
 * The laid-out graph as flat lists for drawing: `groups` (compound nodes, outermost
 * first), `nodes` (leaf nodes, collapsed Maps and Parallels among them), `edges` (with
 * `points` and label boxes), `hidden` (states inside collapsed boxes: name -> the
 * box's name), and the graph's `width` and `height`. Plain data (it crosses from the
 * worker).
 */
export function flatten(laid, info) {
  const groups = [];
  const nodes = [];
  const edges = [];
  const strip = (i) => {
    if (!i) return {};
    const { state, ...rest } = i;
    return rest;
  };
  const walk = (node, depth) => {
    for (const child of node.children || []) {
      const entry = { id: child.id, x: child.x, y: child.y, width: child.width,
        height: child.height, depth, info: strip(info.get(child.id)) };
      if (child.children) {
        groups.push(entry);
        walk(child, depth + 1);
      } else {
        nodes.push(entry);
      }
    }
    for (const edge of node.edges || []) {
      const points = [];
      for (const s of edge.sections || []) {
        points.push(s.startPoint, ...(s.bendPoints || []), s.endPoint);
      }
      edges.push({ id: edge.id, points, labels: (edge.labels || []).map((l) => ({
        text: l.text, x: l.x, y: l.y, width: l.width, height: l.height })),
      info: strip(info.get(edge.id)) });
    }
  };
  walk(laid, 0);
  const hidden = {};
  for (const [id, i] of info) if (i.kind === 'hidden') hidden[id] = i.hiddenIn;
  return { groups, nodes, edges, hidden, width: laid.width || 0, height: laid.height || 0 };
}
