// Workflow Studio: build a workflow by dragging states from the palette onto the canvas
// (or onto an edge, to insert it there), edit the selected state in a form, or edit the
// JSON in the code view. The definition (the ASL object) is the one source of truth: the
// canvas and the code view are views of it, and every edit is a new definition in the
// undo history. ValidateStateMachineDefinition checks each version (debounced); its
// diagnostics are shown on the canvas, in the form at their field and in the code.
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { call } from '../api.js';
import { CodeView, viewOf } from '../components/CodeView.jsx';
import { ErrorBox, Tabs } from '../components/common.jsx';
import { Graph } from '../components/Graph.jsx';
import { Link, guardLeaving, machinePath, replaceQuietly } from '../router.js';
import { arnName, download, formatDate } from '../util.js';
import { dropDraft, loadDraft, saveDraft } from '../editor/draft.js';
import {
  allStates, appendTo, findState, insertAfter, insertOnEdge, locate, removeState, uniqueName,
} from '../editor/asl.js';
import { EMPTY, parseDefinition, useDocument } from '../editor/document.js';
import { aslHints, showDiagnostics } from '../editor/hints.js';
import { DRAG_TYPE, PALETTE, paletteItem } from '../editor/palette.js';
import { StateForm, WorkflowForm } from '../editor/StateForm.jsx';
import { TestPanel } from '../editor/TestPanel.jsx';
import '../editor/editor.css';

const VALIDATE_DELAY_MS = 400;
const DRAFT_DELAY_MS = 300;
const LEAVE_QUESTION = 'Leave Workflow Studio? Your unsaved changes stay as a draft in this browser and come back when you open this workflow again.';
const ROLE_KEY = 'stepfn.editor.role';
const DEFAULT_ROLE = 'arn:aws:iam::123456789012:role/stepfn-workflow';

/** Live validation of `def` (debounced): {status, diagnostics, error}. */
function useValidation(def, type) {
  const [result, setResult] = useState({ status: 'checking', diagnostics: [] });
  useEffect(() => {
    let stale = false;
    setResult((r) => ({ ...r, status: 'checking' }));
    const timer = setTimeout(async () => {
      try {
        const answer = await call('ValidateStateMachineDefinition',
          { definition: JSON.stringify(def), type, severity: 'WARNING' });
        if (stale) return;
        const diagnostics = (answer.diagnostics || []).map((d) => ({ ...d, ...locate(d.location) }));
        setResult({ status: answer.result === 'OK' ? 'ok' : 'fail', diagnostics });
      } catch (error) {
        if (!stale) setResult({ status: 'error', diagnostics: [], error });
      }
    }, VALIDATE_DELAY_MS);
    return () => { stale = true; clearTimeout(timer); };
  }, [def, type]);
  return result;
}

function Palette({ extras, setExtras, onAdd }) {
  const groups = [...new Set(PALETTE.map((p) => p.group))];
  return (
    <aside class="palette" aria-label="Palette">
      {groups.map((g) => (
        <section>
          <h3>{g}</h3>
          {PALETTE.filter((p) => p.group === g).map((p) => (
            <div class="palette-entry">
              <div class={`palette-item type-${p.id}`} draggable data-palette={p.id} role="button"
                tabIndex={0} title="Drag onto the canvas or an edge; click to add after the selected state"
                onDragStart={(e) => {
                  e.dataTransfer.setData(DRAG_TYPE, p.id);
                  e.dataTransfer.effectAllowed = 'copy';
                }}
                onClick={() => onAdd(p.id)}
                onKeyDown={(e) => (e.key === 'Enter' || e.key === ' ') && (e.preventDefault(), onAdd(p.id))}>
                {p.label}
              </div>
              {p.extra && (
                <input class="palette-extra" name={`extra-${p.id}`} placeholder={p.extra}
                  aria-label={`${p.label}: ${p.extra}`}
                  value={extras[p.id] || ''} onInput={(e) => setExtras({ ...extras, [p.id]: e.target.value })} />
              )}
            </div>
          ))}
        </section>
      ))}
    </aside>
  );
}

function Diagnostics({ validation, onPick }) {
  const { status, diagnostics, error } = validation;
  if (status === 'error') return <ErrorBox error={error} />;
  if (!diagnostics.length) return null;
  return (
    <ul class="diagnostics" id="diagnostics">
      {diagnostics.map((d) => (
        <li class={d.severity === 'WARNING' ? 'warning' : 'error'} data-location={d.location || ''}
          data-code={d.code} onClick={() => onPick(d.state)}>
          <b>{d.state || 'Workflow'}</b>{d.field ? <span class="muted"> · {d.field}</span> : null}: {d.message}
          <span class="muted"> ({d.code})</span>
        </li>
      ))}
    </ul>
  );
}

/** The save controls: create a machine, or update it / publish a version. */
function SaveBar({ def, machine, dirty, onSaved, valid }) {
  const [open, setOpen] = useState(false);
  const [name, setName] = useState('');
  const [role, setRole] = useState(() => localStorage.getItem(ROLE_KEY) || DEFAULT_ROLE);
  const [type, setType] = useState('STANDARD');
  const [publish, setPublish] = useState(false);
  const [description, setDescription] = useState('');
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState(null);
  const [note, setNote] = useState(null);

  async function run(action) {
    setBusy(true);
    setProblem(null);
    setNote(null);
    try {
      const definition = JSON.stringify(def, null, 2);
      if (action === 'create') {
        localStorage.setItem(ROLE_KEY, role);
        const answer = await call('CreateStateMachine', {
          name: name.trim(), definition, roleArn: role.trim(), type,
          ...(publish ? { publish: true } : {}),
          ...(publish && description ? { versionDescription: description } : {}),
        });
        setOpen(false);
        onSaved(answer.stateMachineArn, def);
        setNote(answer.stateMachineVersionArn ? `Created, version ${arnName(answer.stateMachineVersionArn)} published.` : 'Created.');
      } else if (action === 'update' || (action === 'publish' && dirty)) {
        const answer = await call('UpdateStateMachine', {
          stateMachineArn: machine.stateMachineArn, definition,
          ...(action === 'publish' ? { publish: true } : {}),
          ...(action === 'publish' && description ? { versionDescription: description } : {}),
        });
        onSaved(machine.stateMachineArn, def);
        setNote(answer.stateMachineVersionArn ? `Saved, version ${arnName(answer.stateMachineVersionArn)} published.` : 'Saved.');
      } else {
        const answer = await call('PublishStateMachineVersion', {
          stateMachineArn: machine.stateMachineArn, ...(description ? { description } : {}),
        });
        setNote(`Version ${arnName(answer.stateMachineVersionArn)} published.`);
      }
    } catch (err) {
      setProblem(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <div class="save-bar">
      <div class="buttons">
        {machine ? (
          <>
            <button type="button" class="primary" data-action="save" disabled={busy || !dirty}
              onClick={() => run('update')}>Save</button>
            <input name="versionDescription" placeholder="version description (optional)" value={description}
              aria-label="Version description (optional)"
              onInput={(e) => setDescription(e.target.value)} />
            <button type="button" data-action="publish" disabled={busy} onClick={() => run('publish')}>
              {dirty ? 'Save and publish version' : 'Publish version'}</button>
          </>
        ) : (
          <button type="button" class="primary" data-action="create" onClick={() => setOpen(!open)}>
            Create state machine…</button>
        )}
        {!valid && <span class="muted">(the definition has errors; saving will be refused)</span>}
        {note && <span class="ok" data-save-note>{note}</span>}
      </div>
      {open && !machine && (
        <form class="panel form save-form" aria-label="Create a state machine"
          onSubmit={(e) => { e.preventDefault(); run('create'); }}>
          <h2>Create a state machine</h2>
          <label>Name <input name="machineName" value={name} required
            onInput={(e) => setName(e.target.value)} placeholder="1-80 letters, digits, - and _" /></label>
          <label>Role ARN <input name="roleArn" value={role} onInput={(e) => setRole(e.target.value)} /></label>
          <label>Type
            <select name="type" value={type} onChange={(e) => setType(e.target.value)}>
              <option>STANDARD</option><option>EXPRESS</option>
            </select>
          </label>
          <label class="inline check"><input type="checkbox" name="publish" checked={publish}
            onChange={(e) => setPublish(e.target.checked)} /> Publish version 1</label>
          {publish && <label>Version description <input name="createVersionDescription" value={description}
            onInput={(e) => setDescription(e.target.value)} /></label>}
          <div class="buttons">
            <button type="submit" class="primary" data-action="create-confirm" disabled={busy || !name.trim()}>Create</button>
            <button type="button" onClick={() => setOpen(false)}>Cancel</button>
          </div>
        </form>
      )}
      <ErrorBox error={problem} />
    </div>
  );
}

export function EditorPage({ params }) {
  const arn = params[0];
  const doc = useDocument(EMPTY);
  const [machine, setMachine] = useState(null);
  const [loadError, setLoadError] = useState(null);
  const [saved, setSaved] = useState(null); // the saved definition's text
  const [selected, setSelected] = useState(null);
  const [side, setSide] = useState('state');
  const [extras, setExtras] = useState({});
  const [notice, setNotice] = useState(null);
  const [restored, setRestored] = useState(null); // {at, changedSince}: a draft came back
  const [ready, setReady] = useState(false);
  const codeBox = useRef(null);
  const fileInput = useRef(null);
  const def = doc.def;
  const validation = useValidation(def, machine ? machine.type : 'STANDARD');

  // Unsaved work from an earlier visit comes back (editor/draft.js).
  const restore = (base) => {
    const draft = loadDraft(arn || null);
    if (!draft || JSON.stringify(draft.def) === base) return;
    doc.edit(draft.def); // one undo step back to what is saved
    setRestored({ at: draft.at, changedSince: arn && draft.base !== base });
  };

  useEffect(() => {
    if (!arn) {
      restore(JSON.stringify(EMPTY));
      setReady(true);
      return;
    }
    call('DescribeStateMachine', { stateMachineArn: arn }).then((m) => {
      const parsed = parseDefinition(m.definition);
      setMachine(m);
      if (parsed.def) {
        doc.reset(parsed.def);
        setSaved(JSON.stringify(parsed.def));
        restore(JSON.stringify(parsed.def));
      }
      setReady(true);
    }, setLoadError);
  }, [arn]);

  // Keep a selection that names a state (undo or an edit in the code may remove it).
  useEffect(() => {
    if (selected && !findState(def, selected)) setSelected(null);
  }, [def]);

  // The code view's hints read the current definition through this ref.
  const hintContext = useRef(null);
  hintContext.current = { names: allStates(def).map(([n]) => n), lang: def.QueryLanguage || 'JSONPath' };
  const extensions = useMemo(() => [aslHints(() => hintContext.current)], []);

  useEffect(() => {
    const view = codeBox.current && viewOf(codeBox.current);
    if (!view) return;
    showDiagnostics(view, validation.diagnostics);
    // The code view's EditorView, for scripts and browser tests (CodeMirror draws only the
    // lines in sight, so its whole text is read from the view's state).
    codeBox.current.editorView = view;
  }, [validation, doc.text]);

  // Ctrl+Z / Ctrl+Shift+Z / Ctrl+Y undo and redo, Delete removes the selected state;
  // not in the code view and text fields (they have their own undo while typing).
  useEffect(() => {
    const onKey = (e) => {
      if (e.target.closest && e.target.closest('input, textarea, select, .cm-editor')) return;
      if (e.key === 'Delete' && selected && !e.ctrlKey && !e.metaKey) {
        doc.edit(removeState(def, selected));
        setSelected(null);
        return;
      }
      if (!(e.ctrlKey || e.metaKey)) return;
      const key = e.key.toLowerCase();
      if (key === 'z' && !e.shiftKey) { e.preventDefault(); doc.undo(); }
      else if ((key === 'z' && e.shiftKey) || key === 'y') { e.preventDefault(); doc.redo(); }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  });

  function make(id) {
    const item = paletteItem(id);
    const extra = (extras[id] || '').trim();
    const state = item.make(def.QueryLanguage || 'JSONPath', extra || undefined);
    let base = item.name;
    if (id === 'SDK' && extra) base = extra.split(':').pop() || base;
    if (id === 'Function' && extra) base = extra;
    return { name: uniqueName(def, base), state };
  }

  function add(id, target) {
    const { name, state } = make(id);
    let next;
    if (target.kind === 'edge') next = insertOnEdge(def, target.edge, name, state);
    else if (target.kind === 'state') next = insertAfter(def, target.name, name, state);
    else if (target.kind === 'scope') next = appendTo(def, target.id, name, state);
    else next = appendTo(def, null, name, state);
    doc.edit(next);
    setSelected(name);
    setSide('state');
  }

  function onDrop(target, e) {
    const id = e.dataTransfer.getData(DRAG_TYPE);
    if (paletteItem(id)) add(id, target);
  }

  async function importFile(e) {
    const file = e.target.files && e.target.files[0];
    e.target.value = '';
    if (!file) return;
    const parsed = parseDefinition(await file.text());
    if (parsed.error) {
      setNotice({ error: `${file.name} is not a definition: ${parsed.error}` });
      return;
    }
    doc.edit(parsed.def);
    setSelected(null);
    setNotice({ ok: `Imported ${file.name}.` });
  }

  const problemsOf = (name) => validation.diagnostics.filter((d) => d.state === name);
  const nodeClass = (name) => {
    const list = problemsOf(name);
    if (list.some((d) => d.severity !== 'WARNING')) return 'has-error';
    return list.length ? 'has-warning' : '';
  };
  const dirty = machine ? saved !== null && saved !== JSON.stringify(def)
    : ready && JSON.stringify(def) !== JSON.stringify(EMPTY);
  const errors = validation.diagnostics.filter((d) => d.severity !== 'WARNING').length;
  const warnings = validation.diagnostics.length - errors;
  const onSaved = (savedArn, savedDef) => {
    setSaved(JSON.stringify(savedDef));
    setRestored(null);
    dropDraft(machine ? machine.stateMachineArn : null);
    if (!machine || machine.stateMachineArn !== savedArn) {
      call('DescribeStateMachine', { stateMachineArn: savedArn }).then(setMachine, setLoadError);
      // The page's URL now names the machine (without reloading: the undo history stays).
      replaceQuietly(`/editor/${encodeURIComponent(savedArn)}`);
    }
  };

  // Unsaved changes are kept as a draft (debounced), and forgotten once saved or undone.
  const draftKey = machine ? machine.stateMachineArn : arn || null;
  useEffect(() => {
    if (!ready) return undefined;
    if (!dirty) {
      dropDraft(draftKey);
      return undefined;
    }
    const timer = setTimeout(() => saveDraft(draftKey, def, saved), DRAFT_DELAY_MS);
    return () => clearTimeout(timer);
  }, [def, dirty, ready]);

  const discardDraft = () => {
    dropDraft(draftKey);
    setRestored(null);
    doc.reset(saved ? JSON.parse(saved) : EMPTY);
  };

  // Leaving with unsaved changes asks: the browser (reload, close, another site) and the
  // app's own links and back button.
  useEffect(() => {
    if (!dirty) return undefined;
    const onLeave = (e) => {
      saveDraft(draftKey, def, saved);
      e.preventDefault();
      e.returnValue = '';
    };
    window.addEventListener('beforeunload', onLeave);
    const unguard = guardLeaving(() => LEAVE_QUESTION);
    return () => {
      window.removeEventListener('beforeunload', onLeave);
      unguard();
    };
  }, [dirty, def]);

  if (loadError) return <main class="page"><h1>Workflow Studio</h1><ErrorBox error={loadError} /></main>;
  if (arn && !machine) return <main class="page"><p class="muted">Loading…</p></main>;
  return (
    <main class="page editor-page" data-editor-ready="true">
      <div class="page-head">
        <div>
          <p class="crumbs">
            {machine ? <><Link href="/">State machines</Link> / <Link href={machinePath(machine.stateMachineArn)}>{machine.name}</Link> /</>
              : 'New workflow /'}
          </p>
          <h1>Workflow Studio</h1>
        </div>
        <SaveBar def={def} machine={machine} dirty={dirty || !machine} onSaved={onSaved}
          valid={validation.status !== 'fail'} />
      </div>
      <div class="editor-toolbar buttons">
        <button type="button" data-action="undo" disabled={!doc.canUndo} onClick={doc.undo} title="Undo (Ctrl+Z)">Undo</button>
        <button type="button" data-action="redo" disabled={!doc.canRedo} onClick={doc.redo} title="Redo (Ctrl+Shift+Z)">Redo</button>
        <button type="button" data-action="import" onClick={() => fileInput.current.click()}>Import…</button>
        <input ref={fileInput} type="file" accept=".json,application/json" name="import" hidden onChange={importFile} />
        <button type="button" data-action="export"
          onClick={() => download(`${machine ? machine.name : 'workflow'}.asl.json`, `${JSON.stringify(def, null, 2)}\n`, 'application/json')}>
          Export</button>
        <span class={`validation status-${validation.status}`} data-validation={validation.status}>
          {validation.status === 'checking' ? 'Checking…'
            : validation.status === 'ok' ? (warnings ? `Valid · ${warnings} warning(s)` : 'Valid')
              : validation.status === 'fail' ? `${errors} error(s)${warnings ? `, ${warnings} warning(s)` : ''}`
                : 'Validation failed'}
        </span>
        {dirty && <span class="badge" data-dirty>Unsaved changes (kept as a draft in this browser)</span>}
        {notice && <span class={notice.error ? 'error' : 'ok'} data-notice>{notice.error || notice.ok}</span>}
      </div>
      {restored && (
        <p class="notice" data-restored role="status">Restored your unsaved changes from {formatDate(restored.at / 1000)}.
          {restored.changedSince && ' The machine was changed since: saving replaces that change.'}
          {' '}<button type="button" data-action="discard-draft" onClick={discardDraft}>Discard them</button></p>
      )}
      {Object.keys(def.States || {}).length ? (
        <Diagnostics validation={validation} onPick={(name) => { setSelected(name); setSide('state'); }} />
      ) : (
        <p class="muted" data-empty>Drag a state from the palette onto the canvas to start (or import a definition, or type it in the code view).</p>
      )}
      <div class="editor-layout">
        <Palette extras={extras} setExtras={setExtras} onAdd={(id) => add(id, selected ? { kind: 'state', name: selected } : { kind: 'canvas' })} />
        <div class="editor-center">
          <Graph definition={def} selected={selected} onSelect={setSelected}
            nodeClass={nodeClass} dropType={DRAG_TYPE} onDrop={onDrop} />
          <div class="code-box" ref={codeBox}>
            <CodeView value={doc.text} onChange={doc.setText} height="340px" label="Definition (ASL JSON)"
              extensions={extensions} />
          </div>
          {doc.parseError && (
            <p class="error" data-problem="code">Not valid JSON: {doc.parseError} (the canvas shows the last valid definition)</p>
          )}
        </div>
        <aside class="side editor-side">
          {selected ? (
            <>
              <h2>{selected}</h2>
              <Tabs value={side} onChange={setSide} tabs={[['state', 'State'], ['test', 'Test state']]} />
              {side === 'state' && (
                <StateForm key={selected} definition={def} name={selected} problems={problemsOf(selected)}
                  onChange={doc.edit} onSelect={setSelected} />
              )}
              {side === 'test' && (
                <TestPanel key={selected} definition={def} name={selected}
                  roleArn={machine ? machine.roleArn : localStorage.getItem(ROLE_KEY) || DEFAULT_ROLE} />
              )}
            </>
          ) : (
            <>
              <h2>Workflow</h2>
              <p class="muted">Select a state to edit it, or drag one from the palette.</p>
              <WorkflowForm definition={def} problems={problemsOf(null)} onChange={doc.edit} />
            </>
          )}
        </aside>
      </div>
    </main>
  );
}
