// <Graph>: any definition drawn as SVG, laid out off the page's thread (graph/layout.js:
// ELK, or dagre for the largest graphs). The canvas takes the window's height; a fit
// never goes below a readable scale (graph/view.js), the rest is reached by panning
// (drag the background, or the minimap) and zooming (wheel, buttons); Map and Parallel
// boxes collapse and expand; a search box finds a state; the keyboard moves between
// states (Tab into the canvas, arrows, Enter opens). Export to SVG/PNG. Every state node
// carries data-state="<name>" and, when `statuses` is given, data-status="<status>".
//
// Props:
//   definition   ASL (object or JSON text)
//   statuses     {stateName: 'not-started'|'running'|...} (execution pages)
//   selected     the selected state's name
//   onSelect     (name|null) => void, on a click on a state (null: the background), or
//                Enter on the state the keyboard is on
//   onEdgeClick  (edgeInfo, event) => void, on a click on an edge ({kind, from, to, index})
//   nodeClass    (name, info) => extra class names for a state's node
//   height       CSS height of the canvas (default: the window's height below its top)
//   onLaidOut    ({nodes, edges, groups, timing}) => void, after each layout is drawn
//   dropType     a drag-and-drop data type the canvas accepts (with onDrop)
//   onDrop       (target, event) => void, when something of `dropType` is dropped: target
//                is {kind: 'edge', edge: edgeInfo}, {kind: 'state', name}, {kind: 'scope',
//                id} (a Map state's name or `Parallel#i`: the scope of its states) or
//                {kind: 'canvas'}; the edge, state or scope under the pointer is marked
//                `drop-target` while dragging
//   label        what the canvas is, for assistive technology
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import { START, END } from '../graph/model.js';
import { drawing } from '../graph/layout.js';
import { GRAPH_CSS } from '../graph/style.js';
import {
  MAX_ZOOM, MIN_FIT_SCALE, MIN_ZOOM, centreOn, fitView, fitsIn, inView, neighbour, pathOf,
} from '../graph/view.js';
import { download } from '../util.js';

function parse(definition) {
  if (typeof definition !== 'string') return definition || {};
  try {
    return JSON.parse(definition);
  } catch {
    return {};
  }
}

/** The canvas's height: the window's below the canvas's top (at least `min` px). */
function useFillHeight(ref, fixed, min = 440) {
  const [height, setHeight] = useState(fixed || `${min}px`);
  useLayoutEffect(() => {
    if (fixed) return undefined;
    const measure = () => {
      const el = ref.current;
      if (!el) return;
      const top = el.getBoundingClientRect().top + window.scrollY;
      // A canvas far down the page still gets most of a window.
      const above = Math.min(top, window.innerHeight * 0.3);
      setHeight(`${Math.max(min, Math.round(window.innerHeight - above - 16))}px`);
    };
    measure();
    window.addEventListener('resize', measure);
    return () => window.removeEventListener('resize', measure);
  }, [fixed]);
  return height;
}

function Toggle({ x, y, open, name, onToggle }) {
  const act = (e) => { e.stopPropagation(); e.preventDefault(); onToggle(name); };
  return (
    <g class="g-toggle" data-toggle={name} onClick={act} onPointerDown={(e) => e.stopPropagation()}>
      <title>{open ? `Collapse ${name}` : `Expand ${name}`}</title>
      <rect x={x} y={y} width={20} height={20} rx={4} />
      <text x={x + 10} y={y + 15} text-anchor="middle">{open ? '−' : '+'}</text>
    </g>
  );
}

function Node({ node, status, selected, focused, extra, onSelect, hover, match, onToggle, holds }) {
  const { info, x, y, width: w, height: h } = node;
  if (info.kind === 'start' || info.kind === 'end') {
    return (
      <g class={`g-node kind-${info.kind}${focused ? ' focused' : ''}`} data-node={info.kind}>
        <ellipse cx={x + w / 2} cy={y + h / 2} rx={w / 2} ry={h / 2} />
        <text x={x + w / 2} y={y + h / 2 + 5} text-anchor="middle">{info.name}</text>
      </g>
    );
  }
  const cls = `g-node kind-state type-${info.type}${info.collapsed ? ' collapsed' : ''}${selected ? ' selected' : ''}` +
    `${focused ? ' focused' : ''}${match ? ' match' : ''}${holds ? ' holds-selected' : ''}` +
    `${extra ? ` ${extra}` : ''}${hover ? ' drop-target' : ''}`;
  const click = (e) => { e.stopPropagation(); onSelect && onSelect(info.name); };
  let shape;
  if (info.type === 'Choice') {
    const d = 14;
    shape = <polygon points={`${x + d},${y} ${x + w - d},${y} ${x + w},${y + h / 2} ${x + w - d},${y + h} ${x + d},${y + h} ${x},${y + h / 2}`} />;
  } else {
    const rx = info.type === 'Succeed' || info.type === 'Fail' || info.type === 'Wait' ? h / 2 : 6;
    shape = <rect x={x} y={y} width={w} height={h} rx={rx} />;
  }
  const sub = info.collapsed
    ? `${info.type} · ${info.inner} state${info.inner === 1 ? '' : 's'} (collapsed)` : info.sub;
  const cx = info.collapsed ? x + (w - 26) / 2 : x + w / 2;
  return (
    <g class={cls} data-state={info.name} data-type={info.type} data-status={status}
       data-collapsed={info.collapsed ? 'true' : undefined}
       data-drop={`state:${info.name}`} onClick={click}>
      <title>{`${info.name} (${info.type})${status ? `: ${status}` : ''}`}</title>
      {shape}
      {info.collapsed && <rect class="g-stack" x={x + 4} y={y + h - 3} width={w - 8} height={3} />}
      <text class="name" x={cx} y={y + 21} text-anchor="middle">{info.name}</text>
      <text class="sub" x={cx} y={y + 38} text-anchor="middle">{sub}</text>
      {info.collapsed && <Toggle x={x + w - 26} y={y + (h - 20) / 2} open={false} name={info.name} onToggle={onToggle} />}
    </g>
  );
}

function Group({ group, status, selected, focused, onSelect, hover, extra, match, onToggle }) {
  const { info, x, y, width: w, height: h } = group;
  if (info.kind === 'branch') {
    return (
      <g class={`g-group kind-branch${hover ? ' drop-target' : ''}`} data-branch={group.id}
         data-drop={`scope:${group.id}`}>
        <rect x={x} y={y} width={w} height={h} rx={6} />
        <text class="sub" x={x + 8} y={y + 16}>{info.name}</text>
      </g>
    );
  }
  const click = (e) => { e.stopPropagation(); onSelect && onSelect(info.name); };
  const cls = `g-group kind-state type-${info.type}${selected ? ' selected' : ''}${focused ? ' focused' : ''}` +
    `${match ? ' match' : ''}${extra ? ` ${extra}` : ''}${hover ? ' drop-target' : ''}`;
  return (
    <g class={cls} data-state={info.name} data-type={info.type} data-status={status}
       data-drop={info.type === 'Map' ? `scope:${info.name}` : `state:${info.name}`} onClick={click}>
      <title>{`${info.name} (${info.type})${status ? `: ${status}` : ''}`}</title>
      <rect x={x} y={y} width={w} height={h} rx={8} />
      <text class="name" x={x + 34} y={y + 20}>{info.name}</text>
      <text class="sub" x={x + 34} y={y + 36}>{info.sub}</text>
      <Toggle x={x + 8} y={y + 9} open name={info.name} onToggle={onToggle} />
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
        <g class="g-label">
          <rect x={l.x} y={l.y} width={l.width} height={l.height} rx={3} />
          <text x={l.x + 5} y={l.y + l.height - 4.5}>{l.text}</text>
        </g>
      ))}
    </g>
  );
}

const MINI_W = 160;
const MINI_H = 180;

/** The whole graph small, with the part in view outlined; a click or drag pans there. */
function Minimap({ drawn, view, size, statuses, onCentre }) {
  const s = Math.min(MINI_W / Math.max(drawn.width, 1), MINI_H / Math.max(drawn.height, 1));
  const w = drawn.width * s;
  const h = drawn.height * s;
  const shapes = useMemo(() => (
    <>
      {drawn.groups.filter((g) => g.info.kind === 'state').map((g) => (
        <rect class="m-group" x={g.x * s} y={g.y * s} width={g.width * s} height={g.height * s} />
      ))}
      {drawn.nodes.filter((n) => n.info.kind === 'state').map((n) => (
        <rect class="m-node" data-status={statuses ? statuses[n.info.name] || 'not-started' : undefined}
          x={n.x * s} y={n.y * s} width={Math.max(1, n.width * s)} height={Math.max(1, n.height * s)} />
      ))}
    </>
  ), [drawn, s, statuses]);
  const pan = (e) => {
    const r = e.currentTarget.getBoundingClientRect();
    onCentre((e.clientX - r.left) / s, (e.clientY - r.top) / s);
  };
  const down = (e) => {
    e.stopPropagation();
    e.preventDefault();
    const el = e.currentTarget;
    pan(e);
    const move = (m) => pan({ currentTarget: el, clientX: m.clientX, clientY: m.clientY });
    const up = () => {
      window.removeEventListener('pointermove', move);
      window.removeEventListener('pointerup', up);
    };
    window.addEventListener('pointermove', move);
    window.addEventListener('pointerup', up);
  };
  const vx = (-view.x / view.k) * s;
  const vy = (-view.y / view.k) * s;
  return (
    <div class="graph-minimap" onClick={(e) => e.stopPropagation()}>
      <svg width={w} height={h} onPointerDown={down} role="img" aria-label="Overview of the whole graph">
        {shapes}
        <rect class="m-view" x={vx} y={vy} width={(size.w / view.k) * s} height={(size.h / view.k) * s} />
      </svg>
    </div>
  );
}

/** The search box: states whose name contains the text; Enter or a click picks one. */
function Search({ names, onPick, onQuery }) {
  const [text, setText] = useState('');
  const [open, setOpen] = useState(false);
  const needle = text.trim().toLowerCase();
  const found = needle ? names.filter((n) => n.toLowerCase().includes(needle)).slice(0, 8) : [];
  const pick = (name) => { onPick(name); setOpen(false); };
  return (
    <div class="graph-search" onPointerDown={(e) => e.stopPropagation()} onClick={(e) => e.stopPropagation()}>
      <input type="search" name="find-state" placeholder="Find a state…" aria-label="Find a state"
        value={text} autocomplete="off"
        onInput={(e) => { setText(e.target.value); setOpen(true); onQuery(e.target.value.trim().toLowerCase()); }}
        onKeyDown={(e) => {
          if (e.key === 'Enter' && found.length) { e.preventDefault(); pick(found[0]); }
          if (e.key === 'Escape') { setText(''); setOpen(false); onQuery(''); }
        }} />
      {open && needle && (
        <ul class="graph-found" role="listbox" aria-label="States found">
          {found.map((n) => (
            <li role="option" aria-selected="false"><button type="button" data-found={n} onClick={() => pick(n)}>{n}</button></li>
          ))}
          {!found.length && <li class="muted">No state named like that.</li>}
        </ul>
      )}
    </div>
  );
}

/** The graph component (see the props at the top of this file). */
export function Graph({ definition, statuses, selected, onSelect, onEdgeClick, nodeClass,
  height, onLaidOut, dropType, onDrop, label = 'State machine graph' }) {
  const parsed = useMemo(() => parse(definition), [definition]);
  const [drawn, setDrawn] = useState(null);
  const [error, setError] = useState(null);
  const [view, setView] = useState({ x: 0, y: 0, k: 1 });
  const [collapsed, setCollapsed] = useState(() => new Set());
  const [query, setQuery] = useState('');
  const [focused, setFocused] = useState(null);
  const [size, setSize] = useState({ w: 800, h: 500 });
  const box = useRef(null);
  const svg = useRef(null);
  const pending = useRef(null);
  const anchor = useRef(null); // {id, sx, sy}: keep this box where it was on screen
  const moved = useRef(false); // the user moved the view since the last fit
  const [hover, setHover] = useState(null); // the data-drop key under a dragged item
  const viewNow = useRef(view); // for handlers kept in the memoised drawing
  viewNow.current = view;
  const canvasHeight = useFillHeight(box, height);

  useLayoutEffect(() => {
    const el = box.current;
    if (!el) return undefined;
    const measure = () => setSize({ w: el.clientWidth || 800, h: el.clientHeight || 500 });
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(el);
    return () => observer.disconnect();
  }, []);

  useEffect(() => {
    let stale = false;
    const t0 = performance.now();
    drawing(parsed, [...collapsed]).then((laid) => {
      if (stale) return;
      pending.current = { t0, t1: performance.now() };
      setError(null);
      const el = box.current;
      const w = (el && el.clientWidth) || 800;
      const h = (el && el.clientHeight) || 500;
      const a = anchor.current;
      anchor.current = null;
      const target = a && [...laid.nodes, ...laid.groups].find((n) => n.id === a.id);
      // Fitted in the same render as the drawing (a fit afterwards would draw it twice).
      if (target) setView((v) => ({ k: v.k, x: a.sx - target.x * v.k, y: a.sy - target.y * v.k }));
      else if (!moved.current || !drawn) { setView(fitView(laid, w, h)); moved.current = false; }
      setDrawn(laid);
    }).catch((e) => !stale && setError(String((e && e.message) || e)));
    return () => { stale = true; };
  }, [parsed, collapsed]);

  // After the DOM holds the new layout: report how long it all took.
  useLayoutEffect(() => {
    if (!drawn || !pending.current) return;
    const { t0, t1 } = pending.current;
    pending.current = null;
    const at = performance.now();
    const timing = { layoutMs: drawn.layoutMs, waitMs: t1 - t0, totalMs: at - t0, at,
      engine: drawn.engine, states: drawn.states };
    window.__stepfnGraphTiming = timing;
    if (onLaidOut) onLaidOut({ ...drawn, timing });
  }, [drawn]);

  // A selected state inside a collapsed box: open the box.
  useEffect(() => {
    if (drawn && selected && drawn.hidden[selected]) expand(selected);
  }, [selected, drawn]);

  const boxes = useMemo(() => (drawn ? [...drawn.nodes, ...drawn.groups]
    .filter((n) => n.info.kind === 'state') : []), [drawn]);
  const byName = useMemo(() => new Map(boxes.map((b) => [b.info.name, b])), [boxes]);
  const names = useMemo(() => (drawn ? [...boxes.map((b) => b.info.name), ...Object.keys(drawn.hidden)] : []),
    [boxes, drawn]);

  function expand(name) {
    // Open every collapsed box on the way to `name` (the outermost first).
    const open = new Set(collapsed);
    let hiddenIn = drawn.hidden[name];
    if (!hiddenIn) return;
    while (hiddenIn && open.has(hiddenIn)) {
      open.delete(hiddenIn);
      hiddenIn = drawn.hidden[hiddenIn];
    }
    setCollapsed(open);
  }

  function toggle(name) {
    const b = byName.get(name);
    const v = viewNow.current;
    if (b) anchor.current = { id: name, sx: v.x + b.x * v.k, sy: v.y + b.y * v.k };
    const next = new Set(collapsed);
    if (next.has(name)) next.delete(name);
    else next.add(name);
    setCollapsed(next);
  }

  function setAll(fold) {
    anchor.current = null;
    moved.current = false;
    setCollapsed(fold ? new Set(boxes.filter((b) => b.info.nests).map((b) => b.info.name)
      .concat([...collapsed])) : new Set());
  }

  function fit() {
    moved.current = false;
    if (drawn) setView(fitView(drawn, size.w, size.h));
  }

  function centre(name, select = true) {
    const b = byName.get(name);
    if (!b) {
      if (drawn.hidden[name]) {
        expand(name);
        pendingCentre.current = name;
      }
      if (select && onSelect) onSelect(name);
      return;
    }
    moved.current = true;
    setView(centreOn(b, size.w, size.h, Math.max(view.k, MIN_FIT_SCALE)));
    setFocused(name);
    if (select && onSelect) onSelect(name);
  }
  const pendingCentre = useRef(null);
  useEffect(() => {
    const name = pendingCentre.current;
    if (name && byName.has(name)) {
      pendingCentre.current = null;
      centre(name, false);
    }
  }, [byName]);

  function zoom(factor, cx, cy) {
    moved.current = true;
    setView((v) => {
      const k = Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, v.k * factor));
      const px = cx ?? size.w / 2;
      const py = cy ?? size.h / 2;
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
      moved.current = true;
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

  function onKeyDown(e) {
    if (!drawn || e.target !== box.current) return;
    const current = byName.get(focused) || byName.get(selected);
    if (e.key.startsWith('Arrow')) {
      e.preventDefault();
      const first = byName.get(parsed.StartAt) || boxes[0];
      const next = current ? neighbour(boxes, current, e.key) : first;
      if (!next) return;
      setFocused(next.info.name);
      if (!inView(next, view, size.w, size.h)) {
        moved.current = true;
        setView(centreOn(next, size.w, size.h, Math.max(view.k, MIN_FIT_SCALE)));
      }
    } else if ((e.key === 'Enter' || e.key === ' ') && current) {
      e.preventDefault();
      if (onSelect) onSelect(current.info.name);
    } else if (e.key === 'Escape') {
      if (onSelect) onSelect(null);
    } else if (e.key === '+' || e.key === '=') {
      zoom(1.25);
    } else if (e.key === '-') {
      zoom(0.8);
    } else if (e.key === '0') {
      fit();
    }
  }

  function onFocus(e) {
    // Only a keyboard's focus shows a state under the keyboard (a click focuses too).
    if (e.target !== box.current || focused || !drawn || !box.current.matches(':focus-visible')) return;
    const start = byName.get(selected) || byName.get(parsed.StartAt) || boxes[0];
    if (start) setFocused(start.info.name);
  }

  function exportSvgText() {
    const clone = svg.current.cloneNode(true);
    clone.setAttribute('xmlns', 'http://www.w3.org/2000/svg');
    clone.setAttribute('viewBox', `0 0 ${drawn.width} ${drawn.height}`);
    clone.setAttribute('width', drawn.width);
    clone.setAttribute('height', drawn.height);
    clone.querySelector('g.g-view').removeAttribute('transform');
    clone.querySelectorAll('.g-toggle').forEach((t) => t.remove());
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
  const matches = (name) => !!query && name.toLowerCase().includes(query);
  const holder = selected && drawn ? drawn.hidden[selected] : null;
  // The drawing itself, made again only when what it shows changes: zooming and panning
  // change only the transform around it.
  const content = useMemo(() => drawn && (
    <>
      {drawn.groups.map((g) => (
        <Group key={g.id} group={g} status={g.info.kind === 'state' ? status(g.info.name) : undefined}
          selected={selected === g.info.name} focused={focused === g.info.name} onSelect={onSelect}
          hover={hover === `scope:${g.id}` || hover === `state:${g.info.name}`}
          match={g.info.kind === 'state' && matches(g.info.name)} onToggle={toggle}
          extra={nodeClass && g.info.kind === 'state' ? nodeClass(g.info.name, g.info) : ''} />
      ))}
      {drawn.edges.map((e) => <Edge key={e.id} edge={e} onEdgeClick={onEdgeClick}
        hit={!!(onEdgeClick || onDrop)} hover={hover === `edge:${e.id}`} />)}
      {drawn.nodes.map((n) => (
        <Node key={n.id} node={n} status={n.info.kind === 'state' ? status(n.info.name) : undefined}
          selected={selected === n.info.name} focused={focused === n.info.name} onSelect={onSelect}
          hover={n.info.kind === 'state' && hover === `state:${n.info.name}`}
          match={n.info.kind === 'state' && matches(n.info.name)} onToggle={toggle}
          holds={holder === n.info.name}
          extra={nodeClass && n.info.kind === 'state' ? nodeClass(n.info.name, n.info) : ''} />
      ))}
    </>
  ), [drawn, statuses, selected, focused, onSelect, onEdgeClick, nodeClass, hover, onDrop, query, collapsed]);
  const focusInfo = focused && byName.get(focused);
  const showMap = drawn && !fitsIn(drawn, view, size.w, size.h);
  const foldable = boxes.some((b) => b.info.nests) || collapsed.size > 0;
  return (
    <div class="graph">
      <div class="graph-bar">
        {drawn && <Search names={names} onPick={(n) => centre(n)} onQuery={setQuery} />}
        <div class="graph-tools">
          {foldable && <button type="button" data-action="collapse-all" onClick={() => setAll(true)}>Collapse all</button>}
          {foldable && collapsed.size > 0 && <button type="button" data-action="expand-all" onClick={() => setAll(false)}>Expand all</button>}
          <button type="button" title="Zoom in" aria-label="Zoom in" onClick={() => zoom(1.25)}>+</button>
          <button type="button" title="Zoom out" aria-label="Zoom out" onClick={() => zoom(0.8)}>−</button>
          <button type="button" title="Fit to view (at a readable size)" data-action="fit" onClick={fit}>Fit</button>
          <button type="button" disabled={!drawn} data-action="export-svg" title="Download as SVG"
            onClick={() => download('state-machine.svg', exportSvgText(), 'image/svg+xml')}>SVG</button>
          <button type="button" disabled={!drawn} data-action="export-png" title="Download as PNG" onClick={exportPng}>PNG</button>
        </div>
      </div>
      <div class="graph-canvas" ref={box} style={{ height: canvasHeight }} onPointerDown={onPointerDown}
           onClick={() => onSelect && onSelect(null)} data-graph-ready={drawn ? 'true' : 'false'}
           data-engine={drawn ? drawn.engine : undefined} data-scale={view.k.toFixed(3)}
           onDragOver={onDragOver} onDrop={onDropped} onDragLeave={dragLeave}
           data-drop-hover={hover || undefined} tabIndex={0} role="group"
           aria-label={`${label}: ${drawn ? `${drawn.states} states; ` : ''}arrow keys move between states, Enter opens one`}
           onKeyDown={onKeyDown} onFocus={onFocus} onBlur={(e) => e.target === box.current && setFocused(null)}>
        {error && <p class="error">The graph could not be laid out: {error}</p>}
        {!drawn && !error && <p class="muted graph-wait">Laying out the graph…</p>}
        <svg ref={svg} width="100%" height="100%" aria-hidden="true">
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
        {showMap && <Minimap drawn={drawn} view={view} size={size} statuses={statuses}
          onCentre={(gx, gy) => { moved.current = true; setView((v) => ({ ...v, x: size.w / 2 - gx * v.k, y: size.h / 2 - gy * v.k })); }} />}
        <p class="visually-hidden" aria-live="polite">
          {focusInfo ? `${focusInfo.info.name}, ${focusInfo.info.type}${statuses ? `, ${status(focusInfo.info.name)}` : ''}` : ''}
        </p>
      </div>
    </div>
  );
}

function swallow(e) {
  e.stopPropagation();
  e.preventDefault();
}

export { START, END };
