// The layout engines (graph/engine.js) on the 22-state workflow: edges go around
// the boxes they do not connect, the state after a Parallel sits right below it, Parallel
// branches are side by side in their order, a collapsed box hides its states.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { layoutDefinition } from '../src/graph/engine.js';

const ORDERS = JSON.parse(readFileSync(new URL('../../../../tests/ui/workflows/orders22.json', import.meta.url)));
const contains = (outer, inner) => outer.x <= inner.x && outer.y <= inner.y &&
  outer.x + outer.width >= inner.x + inner.width && outer.y + outer.height >= inner.y + inner.height;

/** Whether the segment a-b passes through the inside of box b (shrunk by 1 px). */
function crosses(p, q, b) {
  const x0 = b.x + 1; const y0 = b.y + 1; const x1 = b.x + b.width - 1; const y1 = b.y + b.height - 1;
  // Liang-Barsky clipping of the segment against the box.
  let t0 = 0; let t1 = 1;
  const dx = q.x - p.x; const dy = q.y - p.y;
  for (const [pp, qq] of [[-dx, p.x - x0], [dx, x1 - p.x], [-dy, p.y - y0], [dy, y1 - p.y]]) {
    if (pp === 0) { if (qq < 0) return false; continue; }
    const r = qq / pp;
    if (pp < 0) { if (r > t1) return false; if (r > t0) t0 = r; } else { if (r < t0) return false; if (r < t1) t1 = r; }
  }
  return t1 - t0 > 1e-6;
}

test('ELK: no edge crosses a box it does not connect', async () => {
  const d = await layoutDefinition(ORDERS, [], 'elk');
  assert.equal(d.engine, 'elk');
  assert.equal(d.states, 22);
  const boxes = [...d.nodes, ...d.groups];
  const byId = new Map(boxes.map((b) => [b.id, b]));
  let segments = 0;
  for (const e of d.edges) {
    const ends = [byId.get(e.info.from), byId.get(e.info.to)];
    const skip = (b) => ends.some((end) => end && (end === b || contains(b, end)));
    for (let i = 1; i < e.points.length; i += 1) {
      segments += 1;
      for (const b of boxes) {
        if (skip(b)) continue;
        assert.ok(!crosses(e.points[i - 1], e.points[i], b), `${e.info.from} -> ${e.info.to} crosses ${b.id}`);
      }
    }
  }
  assert.ok(segments > 30, segments);
});

test('ELK: the state after a Parallel is right below it; branches side by side in order', async () => {
  const d = await layoutDefinition(ORDERS, [], 'elk');
  const fulfil = d.groups.find((g) => g.id === 'Fulfil');
  const join = d.nodes.find((n) => n.id === 'Join');
  const centre = join.x + join.width / 2;
  assert.ok(centre > fulfil.x && centre < fulfil.x + fulfil.width, 'Join under the Parallel');
  const gap = join.y - (fulfil.y + fulfil.height);
  assert.ok(gap > 0 && gap < 60, `Join ${gap} px below the Parallel`);
  const branches = d.groups.filter((g) => g.info.kind === 'branch').sort((a, b) => a.x - b.x);
  assert.deepEqual(branches.map((b) => b.id), ['Fulfil#0', 'Fulfil#1', 'Fulfil#2']);
  assert.ok(new Set(branches.map((b) => b.y)).size === 1, 'the branches start on one line');
});

test('a collapsed Map or Parallel is one box; its states are hidden in it', async () => {
  for (const engine of ['elk', 'dagre']) {
    const d = await layoutDefinition(ORDERS, ['Fulfil'], engine);
    const box = d.nodes.find((n) => n.id === 'Fulfil');
    assert.ok(box && box.info.collapsed, engine);
    assert.equal(box.info.inner, 10);
    assert.equal(d.hidden.Kind, 'Fulfil');
    assert.ok(!d.nodes.some((n) => n.id === 'Kind'));
    assert.ok(d.edges.some((e) => e.info.from === 'Fulfil' && e.info.to === 'Join'));
  }
});

test('auto picks ELK up to its limit and dagre above', async () => {
  assert.equal((await layoutDefinition(ORDERS)).engine, 'elk');
  const big = { StartAt: 'S0', States: {} };
  for (let i = 0; i < 320; i += 1) big.States[`S${i}`] = i < 319 ? { Type: 'Pass', Next: `S${i + 1}` } : { Type: 'Succeed' };
  const d = await layoutDefinition(big);
  assert.equal(d.engine, 'dagre');
  assert.equal(d.nodes.filter((n) => n.info.kind === 'state').length, 320);
});

test('the arrow keys move to the state that way, not to the box around it', async () => {
  const { neighbour } = await import('../src/graph/view.js');
  const d = await layoutDefinition(ORDERS, [], 'elk');
  const boxes = [...d.nodes, ...d.groups].filter((b) => b.info.kind === 'state');
  const at = (id) => boxes.find((b) => b.id === id);
  assert.equal(neighbour(boxes, at('Wrap'), 'ArrowUp').id, 'Kind');
  assert.equal(neighbour(boxes, at('Receive'), 'ArrowDown').id, 'Route');
  assert.equal(neighbour(boxes, at('Join'), 'ArrowDown').id, 'Ship');
  assert.equal(neighbour(boxes, at('Charge'), 'ArrowDown').id, 'Receipt');
  assert.equal(neighbour(boxes, at('Receive'), 'ArrowUp'), null);
});
