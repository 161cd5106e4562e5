// The graph's styles, kept inside the <svg> so an exported SVG or PNG looks the same.
// Font sizes are in graph units: at the smallest fit (graph/view.js MIN_FIT_SCALE) a
// state's name stays above 12 px on screen; model.js sizes the boxes for them.
export const GRAPH_CSS = `
.g-node rect, .g-node polygon, .g-node ellipse { fill: #fff; stroke: #5f6b7a; stroke-width: 1.4; }
.g-node text { font: 14px system-ui, sans-serif; fill: #16191f; }
.g-node text.sub { font-size: 12px; fill: #414d5c; }
.g-node { cursor: pointer; }
.g-node.type-Task > rect { stroke: #0972d3; }
.g-node.type-Pass > rect { stroke-dasharray: 5 3; }
.g-node.type-Wait > rect { stroke: #8d6605; }
.g-node.type-Choice polygon { stroke: #7d3c98; }
.g-node.type-Succeed > rect { stroke: #037f0c; stroke-width: 2; }
.g-node.type-Fail > rect { stroke: #d91515; stroke-width: 2; }
.g-node.collapsed > rect { stroke-width: 2; stroke: #414d5c; stroke-dasharray: none; }
.g-node.collapsed > rect.g-stack { fill: #8c8c94; stroke: none; }
.g-node.kind-start ellipse, .g-node.kind-end ellipse { fill: #f2f3f3; stroke: #8c8c94; }
.g-node.selected > rect, .g-node.selected > polygon { stroke-width: 3; stroke: #ff9900; }
.g-group > rect { fill: rgba(242, 243, 243, 0.5); stroke: #8c8c94; stroke-width: 1.2; }
.g-group.type-Parallel > rect { stroke-dasharray: 6 3; }
.g-group.type-Map > rect { stroke-dasharray: 2 3; }
.g-group.kind-branch > rect { fill: rgba(255, 255, 255, 0.7); stroke: #c6c6cd; }
.g-group text { font: 600 14px system-ui, sans-serif; fill: #16191f; }
.g-group text.sub { font-weight: 400; font-size: 12px; fill: #414d5c; }
.g-group.selected > rect { stroke: #ff9900; stroke-width: 3; }
.g-toggle { cursor: pointer; }
.g-toggle rect { fill: #fff; stroke: #5f6b7a; stroke-width: 1.2; }
.g-toggle text { font: 700 15px system-ui, sans-serif; fill: #16191f; }
.g-toggle:hover rect { fill: #f2f8fd; stroke: #0972d3; }
.g-edge path { fill: none; stroke: #5f6b7a; stroke-width: 1.4; }
/* The wide, invisible line that takes clicks and drops for a thin edge (above every kind's colour). */
.g-edge path.g-hit { stroke: transparent !important; stroke-width: 16px !important; stroke-dasharray: none !important; cursor: pointer; }
.g-edge.drop-target path:not(.g-hit) { stroke: #0972d3; stroke-width: 3; }
.g-node.drop-target > rect, .g-node.drop-target > polygon, .g-group.drop-target > rect { stroke: #0972d3; stroke-width: 3; }
.g-edge.kind-default path { stroke-dasharray: 6 3; }
.g-edge.kind-catch path { stroke: #d45b07; stroke-dasharray: 3 3; }
.g-edge.kind-choice path { stroke: #7d3c98; }
.g-edge text { font: 12px system-ui, sans-serif; fill: #16191f; }
.g-edge.kind-catch text { fill: #a13f05; }
.g-edge rect { fill: #fff; opacity: 0.94; }
.g-node[data-status="running"] > rect, .g-node[data-status="running"] > polygon, .g-group[data-status="running"] > rect { fill: #d1f1ff; stroke: #0972d3; }
.g-node[data-status="succeeded"] > rect, .g-node[data-status="succeeded"] > polygon, .g-group[data-status="succeeded"] > rect { fill: #e2f7e3; stroke: #037f0c; }
.g-node[data-status="failed"] > rect, .g-node[data-status="failed"] > polygon, .g-group[data-status="failed"] > rect { fill: #ffe7e6; stroke: #d91515; }
.g-node[data-status="caught"] > rect, .g-node[data-status="caught"] > polygon, .g-group[data-status="caught"] > rect { fill: #fff0e0; stroke: #d45b07; }
.g-node[data-status="retrying"] > rect, .g-node[data-status="retrying"] > polygon, .g-group[data-status="retrying"] > rect { fill: #fffbdb; stroke: #b8860b; }
.g-node[data-status="aborted"] > rect, .g-node[data-status="aborted"] > polygon, .g-group[data-status="aborted"] > rect { fill: #e9ebed; stroke: #414d5c; }
.g-node.selected[data-status] > rect, .g-node.selected[data-status] > polygon, .g-group.selected[data-status] > rect { stroke: #ff9900; stroke-width: 3; }
.g-node.match > rect, .g-node.match > polygon, .g-group.match > rect { stroke: #0972d3; stroke-width: 3; stroke-dasharray: none; }
.g-node.focused > rect, .g-node.focused > polygon, .g-node.focused > ellipse, .g-group.focused > rect { stroke: #0972d3; stroke-width: 3.5; stroke-dasharray: none; }
.g-node.holds-selected > rect { stroke: #ff9900; stroke-width: 3; }
`;
