// Pure geometry of the graph's view: fitting at a readable scale, edge paths, centring
// a node, and the neighbour of a node in an arrow key's direction.

// The smallest scale a fit uses: state names (14 px) stay at least 12.3 px and edge
// labels (12 px) 10.6 px on screen. A graph larger than the canvas at this scale is
// reached by panning (or through the minimap), not shrunk out of reach.
export const MIN_FIT_SCALE = 0.88;
export const MIN_ZOOM = 0.05;
export const MAX_ZOOM = 4;
const MARGIN = 16;

/**
 * The view {x, y, k} that shows `drawing` in a canvas of `w` x `h` px: the whole graph
 * when it fits at a readable scale (at most 100 %), else at MIN_FIT_SCALE with the
 * start of the graph (its top, centred on the Start node) in view.
 */
export function fitView(drawing, w, h) {
  const gw = Math.max(drawing.width, 1);
  const gh = Math.max(drawing.height, 1);
  const whole = Math.min(1, (w - 2 * MARGIN) / gw, (h - 2 * MARGIN) / gh);
  const k = Math.max(MIN_FIT_SCALE, whole);
  let x = (w - gw * k) / 2;
  if (gw * k > w - 2 * MARGIN) {
    const start = drawing.nodes.find((n) => n.info.kind === 'start');
    const cx = start ? start.x + start.width / 2 : gw / 2;
    x = Math.min(MARGIN, Math.max(w - MARGIN - gw * k, w / 2 - cx * k));
  }
  const y = gh * k > h - 2 * MARGIN ? MARGIN : (h - gh * k) / 2;
  return { x, y, k };
}

/** Whether the whole drawing is in view. */
export function fitsIn(drawing, view, w, h) {
  return view.x >= -1 && view.y >= -1 && view.x + drawing.width * view.k <= w + 1 &&
    view.y + drawing.height * view.k <= h + 1;
}

/** The view with the box `b` ({x, y, width, height}) in the middle, at scale `k`. */
export function centreOn(b, w, h, k) {
  return { k, x: w / 2 - (b.x + b.width / 2) * k, y: h / 2 - (b.y + b.height / 2) * k };
}

/** Whether the box `b` is entirely on screen in `view`. */
export function inView(b, view, w, h) {
  const x = view.x + b.x * view.k;
  const y = view.y + b.y * view.k;
  return x >= 0 && y >= 0 && x + b.width * view.k <= w && y + b.height * view.k <= h;
}

/**
 * An SVG path through `points` with its corners rounded (orthogonal routes from ELK,
 * polylines from dagre), ending straight into the last point (so the arrow keeps the
 * last direction).
 */
export function pathOf(points) {
  if (!points.length) return '';
  let d = `M${points[0].x},${points[0].y}`;
  for (let i = 1; i < points.length - 1; i += 1) {
    const [a, b, c] = [points[i - 1], points[i], points[i + 1]];
    const lin = Math.hypot(b.x - a.x, b.y - a.y);
    const lout = Math.hypot(c.x - b.x, c.y - b.y);
    const r = Math.min(8, lin / 2, lout / 2);
    if (r < 0.5) {
      d += ` L${b.x},${b.y}`;
      continue;
    }
    const p = { x: b.x - ((b.x - a.x) / lin) * r, y: b.y - ((b.y - a.y) / lin) * r };
    const q = { x: b.x + ((c.x - b.x) / lout) * r, y: b.y + ((c.y - b.y) / lout) * r };
    d += ` L${p.x},${p.y} Q${b.x},${b.y} ${q.x},${q.y}`;
  }
  const last = points[points.length - 1];
  return `${d} L${last.x},${last.y}`;
}

const DIRECTIONS = {
  ArrowDown: [0, 1], ArrowUp: [0, -1], ArrowRight: [1, 0], ArrowLeft: [-1, 0],
};

/**
 * The box among `boxes` (each {id, x, y, width, height}) next to `from` in the direction
 * of `key` (an arrow key): the nearest whose centre lies that way, favouring those in
 * line with it. Null when there is none.
 */
export function neighbour(boxes, from, key) {
  const dir = DIRECTIONS[key];
  if (!dir || !from) return null;
  const cx = from.x + from.width / 2;
  const cy = from.y + from.height / 2;
  let best = null;
  let bestScore = Infinity;
  const inside = (o, i) => o.x <= i.x && o.y <= i.y && o.x + o.width >= i.x + i.width &&
    o.y + o.height >= i.y + i.height;
  for (const b of boxes) {
    // Not the box it is in (a Map or Parallel around it), nor one inside it.
    if (b.id === from.id || inside(b, from) || inside(from, b)) continue;
    const dx = b.x + b.width / 2 - cx;
    const dy = b.y + b.height / 2 - cy;
    const along = dx * dir[0] + dy * dir[1];
    if (along <= 1) continue;
    const across = Math.abs(dx * dir[1] - dy * dir[0]);
    const score = along + 2.5 * across;
    if (score < bestScore) {
      bestScore = score;
      best = b;
    }
  }
  return best;
}
