// A payload field (Parameters, Arguments, Result, ResultSelector, ItemSelector, Output,
// Assign...) as a form: one row per member with its kind (text, number, true/false,
// null, a JSONPath path (`key.$`), a JSONata expression (`{% ... %}`), or any JSON),
// checked as it is typed; or as JSON text, checked the same way. Committed only when
// every row is valid.
import { useEffect, useRef, useState } from 'preact/hooks';

const KINDS_JSONPATH = [['text', 'text'], ['path', 'path ($.…)'], ['number', 'number'], ['boolean', 'true/false'], ['null', 'null'], ['json', 'JSON']];
const KINDS_JSONATA = [['text', 'text'], ['expr', 'JSONata {% … %}'], ['number', 'number'], ['boolean', 'true/false'], ['null', 'null'], ['json', 'JSON']];
const EXPR = /^\{%([\s\S]*)%\}$/;

/** Whether `value` can be shown as rows (an object, or nothing yet). */
function formable(value) {
  return value === undefined || (value && typeof value === 'object' && !Array.isArray(value));
}

export function toRows(value) {
  return Object.entries(value || {}).map(([k, v]) => {
    if (k.endsWith('.$') && typeof v === 'string') return { key: k.slice(0, -2), kind: 'path', text: v };
    if (typeof v === 'string' && EXPR.test(v)) return { key: k, kind: 'expr', text: EXPR.exec(v)[1].trim() };
    if (typeof v === 'string') return { key: k, kind: 'text', text: v };
    if (typeof v === 'number') return { key: k, kind: 'number', text: String(v) };
    if (typeof v === 'boolean') return { key: k, kind: 'boolean', text: String(v) };
    if (v === null) return { key: k, kind: 'null', text: '' };
    return { key: k, kind: 'json', text: JSON.stringify(v, null, 2) };
  });
}

/** The object the rows make, or {problems: [[row index, message]]}. */
export function fromRows(rows) {
  const out = {};
  const problems = [];
  rows.forEach((r, i) => {
    const key = r.key.trim();
    if (!key) { problems.push([i, 'A member needs a name.']); return; }
    let name = key;
    let value;
    switch (r.kind) {
      case 'path':
        name = `${key}.$`;
        value = r.text.trim();
        if (!/^(\$|States\.)/.test(value)) problems.push([i, 'A path starts with $ (or $$ for the context object), or is an intrinsic function (States.…).']);
        break;
      case 'expr':
        value = `{% ${r.text.trim()} %}`;
        if (!r.text.trim()) problems.push([i, 'The expression is empty.']);
        break;
      case 'number':
        value = Number(r.text);
        if (r.text.trim() === '' || !Number.isFinite(value)) problems.push([i, 'Not a number.']);
        break;
      case 'boolean': value = r.text === 'true'; break;
      case 'null': value = null; break;
      case 'json':
        try { value = JSON.parse(r.text); } catch (e) { problems.push([i, `Not valid JSON: ${e.message}`]); }
        break;
      default: value = r.text;
    }
    if (name in out) problems.push([i, `"${name}" is there twice.`]);
    out[name] = value;
  });
  return problems.length ? { problems } : { value: out };
}

function jsonProblem(text) {
  if (!text.trim()) return null;
  try {
    JSON.parse(text);
    return null;
  } catch (e) {
    return e.message;
  }
}

/** Props: field (its name), value, lang, onCommit(value|undefined), id (for its label). */
export function PayloadForm({ field, value, lang, onCommit, id }) {
  const [mode, setMode] = useState(formable(value) ? 'form' : 'json');
  const [rows, setRows] = useState(() => toRows(formable(value) ? value : {}));
  const [text, setText] = useState(value === undefined ? '' : JSON.stringify(value, null, 2));
  const kinds = lang === 'JSONata' ? KINDS_JSONATA : KINDS_JSONPATH;
  const built = fromRows(rows);
  const problemAt = (i) => (built.problems || []).filter(([j]) => j === i).map(([, m]) => m);
  // A value from outside (undo, the code view) replaces the rows; our own commits do not
  // (the rows being typed, valid or not, stay as they are).
  const committed = useRef(JSON.stringify(value));
  const shown = JSON.stringify(value);
  useEffect(() => {
    if (shown === committed.current) return;
    committed.current = shown;
    setRows(toRows(formable(value) ? value : {}));
    setText(value === undefined ? '' : JSON.stringify(value, null, 2));
    if (!formable(value)) setMode('json');
  }, [shown]);
  const commit = (next) => {
    committed.current = JSON.stringify(next);
    onCommit(next);
  };
  const commitRows = (next) => {
    setRows(next);
    const made = fromRows(next);
    if (!made.problems) commit(next.length ? made.value : undefined);
  };
  const change = (i, patch) => rows.map((r, j) => (j === i ? { ...r, ...patch } : r));
  const bad = mode === 'json' ? jsonProblem(text) : null;
  const toJson = () => {
    setText(built.value ? JSON.stringify(built.value, null, 2) : text);
    setMode('json');
  };
  const toForm = () => {
    try {
      const parsed = text.trim() ? JSON.parse(text) : undefined;
      if (!formable(parsed)) return;
      setRows(toRows(parsed));
      setMode('form');
    } catch {
      // stays JSON until it parses
    }
  };
  return (
    <div class="payload" data-payload={field} id={id}>
      <div class="payload-mode" role="group" aria-label={`${field}: how to edit`}>
        <button type="button" class="link-button" aria-pressed={mode === 'form' ? 'true' : 'false'} data-mode="form"
          disabled={mode === 'json' && (!!bad || !formable(text.trim() ? safeParse(text) : undefined))} onClick={toForm}>Fields</button>
        <button type="button" class="link-button" aria-pressed={mode === 'json' ? 'true' : 'false'} data-mode="json"
          disabled={mode === 'form' && !!built.problems} onClick={toJson}>JSON</button>
      </div>
      {mode === 'form' && (
        <>
          {rows.map((r, i) => (
            <div class={`payload-row${problemAt(i).length ? ' has-problem' : ''}`} data-member={i}>
              <input aria-label={`${field}: name of member ${i + 1}`} name={`${field}[${i}].key`} value={r.key} placeholder="name"
                onInput={(e) => setRows(change(i, { key: e.target.value }))}
                onChange={(e) => commitRows(change(i, { key: e.target.value }))} />
              <select aria-label={`${field}: kind of ${r.key || `member ${i + 1}`}`} name={`${field}[${i}].kind`} value={r.kind}
                onChange={(e) => commitRows(change(i, { kind: e.target.value, text: e.target.value === 'boolean' ? 'true' : r.text }))}>
                {kinds.map(([k, words]) => <option value={k}>{words}</option>)}
                {!kinds.some(([k]) => k === r.kind) && <option value={r.kind}>{r.kind}</option>}
              </select>
              {r.kind === 'boolean' ? (
                <select aria-label={`${field}: value of ${r.key || `member ${i + 1}`}`} name={`${field}[${i}].value`} value={r.text}
                  onChange={(e) => commitRows(change(i, { text: e.target.value }))}>
                  <option value="true">true</option><option value="false">false</option>
                </select>
              ) : r.kind === 'null' ? <span class="muted">null</span> : r.kind === 'json' ? (
                <textarea class="mono" rows={2} aria-label={`${field}: value of ${r.key || `member ${i + 1}`}`} name={`${field}[${i}].value`}
                  value={r.text} spellcheck={false} onInput={(e) => setRows(change(i, { text: e.target.value }))}
                  onChange={(e) => commitRows(change(i, { text: e.target.value }))} />
              ) : (
                <input aria-label={`${field}: value of ${r.key || `member ${i + 1}`}`} name={`${field}[${i}].value`} value={r.text}
                  class={r.kind === 'path' || r.kind === 'expr' ? 'mono' : undefined}
                  placeholder={r.kind === 'path' ? '$.field' : r.kind === 'expr' ? '$states.input.field' : ''}
                  onInput={(e) => setRows(change(i, { text: e.target.value }))}
                  onChange={(e) => commitRows(change(i, { text: e.target.value }))} />
              )}
              <button type="button" class="link" aria-label={`${field}: remove ${r.key || `member ${i + 1}`}`}
                onClick={() => commitRows(rows.filter((_, j) => j !== i))}>Remove</button>
              {problemAt(i).map((m) => <p class="error" data-problem={`${field}[${i}]`}>{m}</p>)}
            </div>
          ))}
          <button type="button" data-action={`add-member-${field}`}
            onClick={() => setRows([...rows, { key: '', kind: lang === 'JSONata' ? 'expr' : 'text', text: '' }])}>Add a member</button>
        </>
      )}
      {mode === 'json' && (
        <>
          <textarea class="mono" name={field} aria-label={`${field} (JSON)`} spellcheck={false}
            rows={Math.min(12, Math.max(3, text.split('\n').length))} value={text}
            onInput={(e) => setText(e.target.value)}
            onBlur={() => { if (!jsonProblem(text)) commit(text.trim() ? JSON.parse(text) : undefined); }} />
          {bad && <p class="error" data-problem={field}>Not valid JSON: {bad}</p>}
        </>
      )}
    </div>
  );
}

function safeParse(text) {
  try { return JSON.parse(text); } catch { return null; }
}
