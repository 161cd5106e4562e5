// <Graph>: any definition drawn as SVG, laid out by dagre (graph/dagre.js). Zoom (wheel or buttons), pan
// (drag the background), fit, export to SVG/PNG. Every state node carries
// data-state="<name>" and, when `statuses` is given, data-status="<status>".
//
// Props:
//   definition   ASL (object or JSON text)
//   statuses     {stateName: 'not-started'|'running'|...} (execution pages)
//   selected     the selected state's name
//   onSelect     (name|null) => void, on a click on a state (null: the background)
//   onEdgeClick  (edgeInfo, event) => void, on a click on an edge ({kind, from, to, index})
//   nodeClass    (name, info) => extra class names for a state's node
//   height       CSS height of the canvas (default 520px)
//   onLaidOut    ({nodes, edges, groups, timing}) => void, after each layout is drawn
//   dropType     a drag-and-drop data type the canvas accepts (with onDrop)
//   onDrop       (target, event) => void, when something of `dropType` is dropped: target
//                is {kind: 'edge', edge: edgeInfo}, {kind: 'state', name}, {kind: 'scope',
//                id} (a Map state's name or `Parallel#i`: the scope of its states) or
//                {kind: 'canvas'}; the edge, state or scope under the pointer is marked
//                `drop-target` while dragging
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import { START, END } from '../graph/model.js';
import { drawing } from '../graph/layout.js';
import { GRAPH_CSS } from '../graph/style.js';
import { download } from '../util.js';

function parse(definition) {
  if (typeof definition !== 'string') return definition || {};
  try {
    return JSON.parse(definition);
  } catch {
    return {};
  }
}

function subtitle(info) {
  const state = info.state || {};
  if (info.type === 'Task') {
    const res = typeof state.Resource === 'string' ? state.Resource : '';
    if (res.startsWith('arn:aws:states:::')) return res.slice(17);
    if (res.includes(':function:')) return `λ ${res.split(':function:')[1]}`;
    return res.split(':').slice(-2).join(':') || 'Task';
  }
  return info.type;
}

/**
 * An edge through `points`: straight from the first point to the middle of the first
 * segment, then a quadratic curve around each bend point to the middle of the next
 * segment, and straight into the last point (so the arrow keeps the last direction).
 */
function pathOf(points) {
  if (!points.length) return '';
  const mid = (a, b) => `${(a.x + b.x) / 2},${(a.y + b.y) / 2}`;
  let d = `M${points[0].x},${points[0].y}`;
  for (let i = 1; i < points.length - 1; i += 1) {
    d += ` L${mid(points[i - 1], points[i])} Q${points[i].x},${points[i].y} ${mid(points[i], points[i + 1])}`;
  }
  const last = points[points.length - 1];
  return `${d} L${last.x},${last.y}`;
}

function Node({ node, status, selected, extra, onSelect, hover }) {
  const { info, x, y, width: w, height: h } = node;
  if (info.kind === 'start' || info.kind === 'end') {
    return (
      <g class={`g-node kind-${info.kind}`} data-node={info.kind}>
        <ellipse cx={x + w / 2} cy={y + h / 2} rx={w / 2} ry={h / 2} />
        <text x={x + w / 2} y={y + h / 2 + 4} text-anchor="middle">{info.name}</text>
      </g>
    );
  }
  const cls = `g-node kind-state type-${info.type}${selected ? ' selected' : ''}${extra ? ` ${extra}` : ''}${hover ? ' drop-target' : ''}`;
  const click = (e) => { e.stopPropagation(); onSelect && onSelect(info.name); };
  let shape;
  if (info.type === 'Choice') {
    const d = 14;
    shape = <polygon points={`${x + d},${y} ${x + w - d},${y} ${x + w},${y + h / 2} ${x + w - d},${y + h} ${x + d},${y + h} ${x},${y + h / 2}`} />;
  } else {
    const rx = info.type === 'Succeed' || info.type === 'Fail' || info.type === 'Wait' ? h / 2 : 6;
    shape = <rect x={x} y={y} width={w} height={h} rx={rx} />;
  }
  return (
    <g class={cls} data-state={info.name} data-type={info.type} data-status={status}
       data-drop={`state:${info.name}`} onClick={click}>
      <title>{`${info.name} (${info.type})${status ? `: ${status}` : ''}`}</title>
      {shape}
      <text x={x + w / 2} y={y + 19} text-anchor="middle">{info.name}</text>
      <text class="sub" x={x + w / 2} y={y + 34} text-anchor="middle">{subtitle(info)}</text>
    </g>
  );
}

function Group({ group, status, selected, onSelect, hover, extra }) {
  const { info, x, y, width: w, height: h } = group;
  if (info.kind === 'branch') {
    return (
      <g class={`g-group kind-branch${hover ? ' drop-target' : ''}`} data-branch={group.id}
         data-drop={`scope:${group.id}`}>
        <rect x={x} y={y} width={w} height={h} rx={6} />
        <text class="sub" x={x + 8} y={y + 14}>{info.name}</text>
      </g>
    );
  }
  const click = (e) => { e.stopPropagation(); onSelect && onSelect(info.name); };
  return (
    <g class={`g-group kind-state type-${info.type}${selected ? ' selected' : ''}${extra ? ` ${extra}` : ''}${hover ? ' drop-target' : ''}`}
       data-state={info.name} data-type={info.type} data-status={status}
       data-drop={info.type === 'Map' ? `scope:${info.name}` : `state:${info.name}`} onClick={click}>
      <title>{`${info.name} (${info.type})${status ? `: ${status}` : ''}`}</title>
      <rect x={x} y={y} width={w} height={h} rx={8} />
      <text x={x + 10} y={y + 18}>{info.name}</text>
      <text class="sub" x={x + 10} y={y + 32}>
        {info.type === 'Map' ? (info.state?.ItemReader ? 'Map (distributed)' : 'Map') : 'Parallel'}
      </text>
    </g>
  );
}

function Edge({ edge, onEdgeClick, hit, hover }) {
  const { info } = edge;
  const click = onEdgeClick ? (e) => { e.stopPropagation(); onEdgeClick(info, e); } : undefined;
  const d = pathOf(edge.points);
  return (
    <g class={`g-edge kind-${info.kind}${hover ? ' drop-target' : ''}`} data-from={info.from}
       data-to={info.to} data-drop={`edge:${edge.id}`} onClick={click}>
      {info.title && <title>{info.title}</title>}
      {hit && <path class="g-hit" d={d} />}
      <path d={d} marker-end={`url(#arrow-${info.kind === 'catch' ? 'catch' : 'plain'})`} />
      {edge.labels.map((l) => (
        <g>
          <rect x={l.x} y={l.y} width={l.width} height={l.height} rx={3} />
          <text x={l.x + 4} y={l.y + l.height - 3}>{l.text}</text>
        </g>
      ))}
    </g>
  );
}

/** The graph component (see the props at the top of this file). */
export function Graph({ definition, statuses, selected, onSelect, onEdgeClick, nodeClass,
  height = '520px', onLaidOut, dropType, onDrop }) {
  const parsed = useMemo(() => parse(definition), [definition]);
  const [drawn, setDrawn] = useState(null);
  const [error, setError] = useState(null);
  const [view, setView] = useState({ x: 0, y: 0, k: 1 });
  const box = useRef(null);
  const svg = useRef(null);
  const pending = useRef(null);
  const [hover, setHover] = useState(null); // the data-drop key under a dragged item

  useEffect(() => {
    let stale = false;
    const t0 = performance.now();
    Promise.resolve(parsed).then(drawing).then((laid) => {
      if (stale) return;
      const t1 = performance.now();
      pending.current = { t0, t1 };
      setError(null);
      // Fitted in the same render as the drawing (a fit afterwards would draw it twice).
      setView(fitted(laid));
      setDrawn(laid);
    }).catch((e) => !stale && setError(String(e && e.message || e)));
    return () => { stale = true; };
  }, [parsed]);

  // After the DOM holds the new layout: fit it, and report how long it all took.
  useLayoutEffect(() => {
    if (!drawn || !pending.current) return;
    const { t0, t1 } = pending.current;
    pending.current = null;
    const at = performance.now();
    const timing = { layoutMs: t1 - t0, totalMs: at - t0, at,
      states: [...drawn.nodes, ...drawn.groups].filter((n) => n.info.kind === 'state').length };
    window.__stepfnGraphTiming = timing;
    if (onLaidOut) onLaidOut({ ...drawn, timing });
  }, [drawn]);

  /** The view that shows all of `laid` in the canvas (at most at 100 %). */
  function fitted(laid) {
    const el = box.current;
    const w = (el && el.clientWidth) || 800;
    const h = (el && el.clientHeight) || 500;
    const k = Math.min(1, (w - 20) / Math.max(laid.width, 1), (h - 20) / Math.max(laid.height, 1));
    return { k, x: (w - laid.width * k) / 2, y: Math.max(10, (h - laid.height * k) / 2) };
  }

  function fit() {
    if (drawn) setView(fitted(drawn));
  }

  function zoom(factor, cx, cy) {
    setView((v) => {
      const k = Math.min(4, Math.max(0.05, v.k * factor));
      const el = box.current;
      const px = cx ?? (el ? el.clientWidth / 2 : 0);
      const py = cy ?? (el ? el.clientHeight / 2 : 0);
      return { k, x: px - ((px - v.x) * k) / v.k, y: py - ((py - v.y) * k) / v.k };
    });
  }

  function onWheel(e) {
    e.preventDefault();
    const r = box.current.getBoundingClientRect();
    zoom(Math.exp(-e.deltaY * 0.0015), e.clientX - r.left, e.clientY - r.top);
  }

  useEffect(() => {
    const el = box.current;
    if (!el) return undefined;
    el.addEventListener('wheel', onWheel, { passive: false });
    return () => el.removeEventListener('wheel', onWheel);
  });

  function onPointerDown(e) {
    if (e.button !== 0) return;
    const start = { x: e.clientX, y: e.clientY, v: view, moved: false };
    const move = (m) => {
      const dx = m.clientX - start.x;
      const dy = m.clientY - start.y;
      if (Math.abs(dx) + Math.abs(dy) > 3) start.moved = true;
      setView({ ...start.v, x: start.v.x + dx, y: start.v.y + dy });
    };
    const up = () => {
      window.removeEventListener('pointermove', move);
      window.removeEventListener('pointerup', up);
      box.current?.classList.remove('panning');
      if (start.moved) box.current?.addEventListener('click', swallow, { capture: true, once: true });
    };
    box.current?.classList.add('panning');
    window.addEventListener('pointermove', move);
    window.addEventListener('pointerup', up);
  }

  function exportSvgText() {
    const clone = svg.current.cloneNode(true);
    clone.setAttribute('xmlns', 'http://www.w3.org/2000/svg');
    clone.setAttribute('viewBox', `0 0 ${drawn.width} ${drawn.height}`);
    clone.setAttribute('width', drawn.width);
    clone.setAttribute('height', drawn.height);
    clone.querySelector('g.g-view').removeAttribute('transform');
    return new XMLSerializer().serializeToString(clone);
  }

  function exportPng() {
    const img = new Image();
    const scale = 2;
    img.onload = () => {
      const canvas = document.createElement('canvas');
      canvas.width = Math.ceil(drawn.width * scale);
      canvas.height = Math.ceil(drawn.height * scale);
      const ctx = canvas.getContext('2d');
      ctx.fillStyle = '#fff';
      ctx.fillRect(0, 0, canvas.width, canvas.height);
      ctx.scale(scale, scale);
      ctx.drawImage(img, 0, 0);
      canvas.toBlob((blob) => download('state-machine.png', blob), 'image/png');
    };
    img.src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(exportSvgText())}`;
  }

  const accepts = (e) => onDrop && dropType && [...(e.dataTransfer?.types || [])].includes(dropType);
  const dropKey = (e) => e.target.closest?.('[data-drop]')?.getAttribute('data-drop') || 'canvas';
  function onDragOver(e) {
    if (!accepts(e)) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = 'copy';
    const key = dropKey(e);
    if (key !== hover) setHover(key);
  }
  function onDropped(e) {
    if (!accepts(e)) return;
    e.preventDefault();
    setHover(null);
    const key = dropKey(e);
    const cut = key.indexOf(':');
    const [kind, id] = cut < 0 ? [key, ''] : [key.slice(0, cut), key.slice(cut + 1)];
    if (kind === 'edge') {
      const edge = drawn && drawn.edges.find((x) => x.id === id);
      onDrop(edge ? { kind: 'edge', edge: edge.info } : { kind: 'canvas' }, e);
    } else if (kind === 'state') onDrop({ kind: 'state', name: id }, e);
    else if (kind === 'scope') onDrop({ kind: 'scope', id }, e);
    else onDrop({ kind: 'canvas' }, e);
  }
  const dragLeave = (e) => { if (!e.currentTarget.contains(e.relatedTarget)) setHover(null); };
  const status = (name) => (statuses ? statuses[name] || 'not-started' : undefined);
  // The drawing itself, made again only when what it shows changes: zooming and panning
  // change only the transform around it.
  const content = useMemo(() => drawn && (
    <>
      {drawn.groups.map((g) => (
        <Group key={g.id} group={g} status={g.info.kind === 'state' ? status(g.info.name) : undefined}
          selected={selected === g.info.name} onSelect={onSelect}
          hover={hover === `scope:${g.id}` || hover === `state:${g.info.name}`}
          extra={nodeClass && g.info.kind === 'state' ? nodeClass(g.info.name, g.info) : ''} />
      ))}
      {drawn.edges.map((e) => <Edge key={e.id} edge={e} onEdgeClick={onEdgeClick}
        hit={!!(onEdgeClick || onDrop)} hover={hover === `edge:${e.id}`} />)}
      {drawn.nodes.map((n) => (
        <Node key={n.id} node={n} status={n.info.kind === 'state' ? status(n.info.name) : undefined}
          selected={selected === n.info.name} onSelect={onSelect}
          hover={n.info.kind === 'state' && hover === `state:${n.info.name}`}
          extra={nodeClass && n.info.kind === 'state' ? nodeClass(n.info.name, n.info) : ''} />
      ))}
    </>
  ), [drawn, statuses, selected, onSelect, onEdgeClick, nodeClass, hover, onDrop]);
  return (
    <div class="graph">
      <div class="graph-tools">
        <button type="button" title="Zoom in" onClick={() => zoom(1.25)}>+</button>
        <button type="button" title="Zoom out" onClick={() => zoom(0.8)}>−</button>
        <button type="button" title="Fit to view" data-action="fit" onClick={fit}>Fit</button>
        <button type="button" disabled={!drawn} data-action="export-svg"
          onClick={() => download('state-machine.svg', exportSvgText(), 'image/svg+xml')}>SVG</button>
        <button type="button" disabled={!drawn} data-action="export-png" onClick={exportPng}>PNG</button>
      </div>
      <div class="graph-canvas" ref={box} style={{ height }} onPointerDown={onPointerDown}
           onClick={() => onSelect && onSelect(null)} data-graph-ready={drawn ? 'true' : 'false'}
           onDragOver={onDragOver} onDrop={onDropped} onDragLeave={dragLeave}
           data-drop-hover={hover || undefined}>
        {error && <p class="error">Layout failed: {error}</p>}
        <svg ref={svg} width="100%" height="100%">
          <style>{GRAPH_CSS}</style>
          <defs>
            <marker id="arrow-plain" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
              <path d="M0,0 L10,5 L0,10 z" fill="#5f6b7a" />
            </marker>
            <marker id="arrow-catch" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
              <path d="M0,0 L10,5 L0,10 z" fill="#d45b07" />
            </marker>
          </defs>
          {drawn && (
            <g class="g-view" transform={`translate(${view.x},${view.y}) scale(${view.k})`}>
              {content}
            </g>
          )}
        </svg>
      </div>
    </div>
  );
}

function swallow(e) {
  e.stopPropagation();
  e.preventDefault();
}

export { START, END };
