// The form of the selected state: its name, the fields of its type in its query language,
// Next/End (or Default), Retry and Catch lists; and the form of the workflow itself when no
// state is selected. Each diagnostic is shown at its field (`data-field` names the field).
import { useState } from 'preact/hooks';
import {
  findState, queryLanguage, removeState, renameState, setField, setNext, siblingNames, topField,
} from './asl.js';
import { JSON_FIELDS, NUMBER_FIELDS, fieldsOf } from './fields.js';

// Shown for a state of that type even when absent; the others are added from a list.
const PRIMARY = {
  Pass: ['Result', 'Output'],
  Task: ['Resource', 'Parameters', 'Arguments', 'ResultPath', 'Output'],
  Choice: ['Choices', 'Default'],
  Wait: ['Seconds'],
  Fail: ['Error', 'Cause'],
  Map: ['ItemsPath', 'Items', 'MaxConcurrency'],
  Parallel: [],
  Succeed: [],
};
// Edited elsewhere: on the canvas (Branches, ItemProcessor) or in their own section.
const SPECIAL = new Set(['Next', 'End', 'Retry', 'Catch', 'Branches', 'ItemProcessor', 'Default']);

function Problems({ list }) {
  if (!list || !list.length) return null;
  return list.map((d) => (
    <p class={d.severity === 'WARNING' ? 'warning' : 'error'} data-diagnostic={d.code}
       data-location={d.location || ''}>{d.message}</p>
  ));
}

/** A JSON value edited as text; committed when it parses (empty: the field is removed). */
function JsonInput({ value, onCommit, rows = 4, name }) {
  const shown = value === undefined ? '' : JSON.stringify(value, null, 2);
  const [text, setText] = useState(shown);
  const [bad, setBad] = useState(null);
  const commit = () => {
    if (!text.trim()) { setBad(null); onCommit(undefined); return; }
    try {
      const parsed = JSON.parse(text);
      setBad(null);
      onCommit(parsed);
    } catch (e) {
      setBad(e.message);
    }
  };
  return (
    <>
      <textarea class="mono" name={name} rows={Math.min(12, Math.max(rows, shown.split('\n').length))}
        value={text} onInput={(e) => setText(e.target.value)} onBlur={commit} spellcheck={false} />
      {bad && <p class="error">Not valid JSON: {bad}</p>}
    </>
  );
}

/** A text field committed on change (blur or Enter); numbers stay numbers. */
function TextInput({ value, onCommit, numeric, name, placeholder }) {
  const commit = (e) => {
    const raw = e.target.value;
    if (raw.trim() === '') onCommit(undefined);
    else if (numeric && /^-?\d+(\.\d+)?$/.test(raw.trim())) onCommit(Number(raw));
    else onCommit(raw);
  };
  // Uncontrolled (a re-render while typing keeps the text); a new value remounts it.
  return <input key={JSON.stringify(value) ?? ''} name={name} placeholder={placeholder}
    defaultValue={value === undefined ? '' : String(value)} onChange={commit} />;
}

function TargetSelect({ value, names, onChange, name, endLabel = '(none)' }) {
  return (
    <select name={name} value={value || ''} onChange={(e) => onChange(e.target.value || null)}>
      <option value="">{endLabel}</option>
      {names.map((n) => <option value={n}>{n}</option>)}
      {value && !names.includes(value) && <option value={value}>{value} (missing)</option>}
    </select>
  );
}

function Field({ field, problems, children, label }) {
  return (
    <div class={`field${problems && problems.length ? ' has-problem' : ''}`} data-field={field}>
      <label>{label || field}</label>
      {children}
      <Problems list={problems} />
    </div>
  );
}

const errorsText = (list) => (Array.isArray(list) ? list.join(', ') : '');
const errorsList = (text) => text.split(',').map((x) => x.trim()).filter(Boolean);

function RetryList({ retry, onChange, problems }) {
  const list = Array.isArray(retry) ? retry : [];
  const set = (i, key, value) => onChange(list.map((r, j) => {
    if (j !== i) return r;
    const copy = { ...r };
    if (value === undefined) delete copy[key];
    else copy[key] = value;
    return copy;
  }));
  return (
    <Field field="Retry" problems={problems} label="Retry">
      {list.map((r, i) => (
        <div class="row-item" data-retrier={i}>
          <input key={errorsText(r.ErrorEquals)} name={`Retry[${i}].ErrorEquals`} defaultValue={errorsText(r.ErrorEquals)} title="Errors (comma separated)"
            onChange={(e) => set(i, 'ErrorEquals', errorsList(e.target.value))} />
          <div class="mini">
            {['IntervalSeconds', 'MaxAttempts', 'BackoffRate', 'MaxDelaySeconds'].map((k) => (
              <label>{k.replace('Seconds', ' s')}
                <TextInput name={`Retry[${i}].${k}`} value={r[k]} numeric onCommit={(v) => set(i, k, v)} />
              </label>
            ))}
            <label>Jitter
              <select value={r.JitterStrategy || ''} onChange={(e) => set(i, 'JitterStrategy', e.target.value || undefined)}>
                <option value="">NONE</option><option value="FULL">FULL</option>
              </select>
            </label>
          </div>
          <button type="button" class="link" onClick={() => onChange(list.filter((_, j) => j !== i))}>Remove</button>
        </div>
      ))}
      <button type="button" data-action="add-retrier"
        onClick={() => onChange([...list, { ErrorEquals: ['States.ALL'], IntervalSeconds: 1, MaxAttempts: 3, BackoffRate: 2 }])}>
        Add retrier</button>
    </Field>
  );
}

function CatchList({ catchers, names, lang, onChange, problems }) {
  const list = Array.isArray(catchers) ? catchers : [];
  const set = (i, key, value) => onChange(list.map((c, j) => {
    if (j !== i) return c;
    const copy = { ...c };
    if (value === undefined) delete copy[key];
    else copy[key] = value;
    return copy;
  }));
  const pathKey = lang === 'JSONata' ? 'Output' : 'ResultPath';
  return (
    <Field field="Catch" problems={problems} label="Catch">
      {list.map((c, i) => (
        <div class="row-item" data-catcher={i}>
          <input key={errorsText(c.ErrorEquals)} name={`Catch[${i}].ErrorEquals`} defaultValue={errorsText(c.ErrorEquals)} title="Errors (comma separated)"
            onChange={(e) => set(i, 'ErrorEquals', errorsList(e.target.value))} />
          <div class="mini">
            <label>Next
              <TargetSelect name={`Catch[${i}].Next`} value={c.Next} names={names} onChange={(v) => set(i, 'Next', v || undefined)} />
            </label>
            <label>{pathKey}
              <TextInput name={`Catch[${i}].${pathKey}`} value={typeof c[pathKey] === 'string' ? c[pathKey] : undefined}
                placeholder={lang === 'JSONata' ? '{% $states.errorOutput %}' : '$.error'}
                onCommit={(v) => set(i, pathKey, v)} />
            </label>
          </div>
          <button type="button" class="link" onClick={() => onChange(list.filter((_, j) => j !== i))}>Remove</button>
        </div>
      ))}
      <button type="button" data-action="add-catcher"
        onClick={() => onChange([...list, { ErrorEquals: ['States.ALL'], Next: names[0] }])}>Add catcher</button>
    </Field>
  );
}

/** The selected state's form. `problems` are the diagnostics located at this state. */
export function StateForm({ definition, name, problems, onChange, onSelect }) {
  const found = findState(definition, name);
  const [renameError, setRenameError] = useState(null);
  const [adding, setAdding] = useState([]);
  if (!found) return <p class="muted">The state "{name}" is no longer in the definition.</p>;
  const { state } = found;
  const type = state.Type;
  const lang = queryLanguage(definition, state);
  const names = siblingNames(definition, name).filter((n) => n !== name);
  const at = (field) => problems.filter((d) => topField(d.field) === field);
  const fields = fieldsOf(type, lang).filter((f) => !SPECIAL.has(f));
  const shown = fields.filter((f) => state[f] !== undefined || (PRIMARY[type] || []).includes(f) || adding.includes(f));
  const addable = fields.filter((f) => !shown.includes(f));
  const known = new Set(['Type', 'Comment', 'QueryLanguage', ...fields, ...SPECIAL]);
  const elsewhere = problems.filter((d) => !d.field || !known.has(topField(d.field)) ||
    (!shown.includes(topField(d.field)) && !SPECIAL.has(topField(d.field))));
  const set = (field) => (value) => onChange(setField(definition, name, field, value));

  const rename = (e) => {
    const to = e.target.value.trim();
    try {
      const next = renameState(definition, name, to);
      setRenameError(null);
      if (next !== definition) {
        onChange(next);
        onSelect(to);
      }
    } catch (err) {
      setRenameError(err.message);
      e.target.value = name;
    }
  };

  return (
    <div class="form state-form" data-form-state={name}>
      <Field field="Name" label="State name">
        <input key={name} name="StateName" defaultValue={name} onChange={rename} />
        {renameError && <p class="error">{renameError}</p>}
      </Field>
      <p class="muted">Type: <b data-state-type>{type}</b> · {lang}</p>
      <Problems list={elsewhere} />
      <Field field="Comment" problems={at('Comment')}>
        <TextInput name="Comment" value={state.Comment} onCommit={set('Comment')} />
      </Field>
      <Field field="QueryLanguage" problems={at('QueryLanguage')} label="Query language">
        <select name="QueryLanguage" value={state.QueryLanguage || ''} onChange={(e) => set('QueryLanguage')(e.target.value || undefined)}>
          <option value="">(the workflow's: {definition.QueryLanguage || 'JSONPath'})</option>
          <option value="JSONPath">JSONPath</option>
          <option value="JSONata">JSONata</option>
        </select>
      </Field>
      {shown.map((f) => (
        <Field field={f} problems={at(f)}>
          {JSON_FIELDS.has(f) && !(lang === 'JSONata' && typeof state[f] === 'string')
            ? <JsonInput key={JSON.stringify(state[f]) ?? ''} name={f} value={state[f]} onCommit={set(f)} rows={f === 'Choices' ? 8 : 3} />
            : <TextInput name={f} value={state[f]} numeric={NUMBER_FIELDS.has(f)} onCommit={set(f)} />}
        </Field>
      ))}
      {addable.length > 0 && (
        <select class="add-field" value="" onChange={(e) => e.target.value && setAdding([...adding, e.target.value])}>
          <option value="">Add a field…</option>
          {addable.map((f) => <option value={f}>{f}</option>)}
        </select>
      )}
      {type === 'Choice' && (
        <Field field="Default" problems={at('Default')}>
          <TargetSelect name="Default" value={state.Default} names={names} onChange={(v) => set('Default')(v || undefined)} />
        </Field>
      )}
      {fieldsOf(type, lang).includes('Next') && (
        <Field field="Next" problems={[...at('Next'), ...at('End')]} label="Next state">
          <TargetSelect name="Next" value={state.Next} names={names} endLabel="(End: the workflow ends here)"
            onChange={(v) => onChange(setNext(definition, name, v))} />
        </Field>
      )}
      {fieldsOf(type, lang).includes('Retry') && (
        <RetryList retry={state.Retry} problems={at('Retry')} onChange={(v) => set('Retry')(v.length ? v : undefined)} />
      )}
      {fieldsOf(type, lang).includes('Catch') && (
        <CatchList catchers={state.Catch} names={names} lang={lang} problems={at('Catch')}
          onChange={(v) => set('Catch')(v.length ? v : undefined)} />
      )}
      <div class="buttons">
        <button type="button" class="danger" data-action="delete-state"
          onClick={() => { onChange(removeState(definition, name)); onSelect(null); }}>Delete state</button>
      </div>
    </div>
  );
}

/** The workflow's own fields (shown when no state is selected). */
export function WorkflowForm({ definition, problems, onChange }) {
  const names = Object.keys(definition.States || {});
  const set = (field) => (value) => {
    const next = { ...definition };
    if (value === undefined) delete next[field];
    else next[field] = value;
    onChange(next);
  };
  const at = (field) => problems.filter((d) => topField(d.field) === field);
  return (
    <div class="form state-form" data-form-state="">
      <Field field="Comment" problems={at('Comment')}>
        <TextInput name="Comment" value={definition.Comment} onCommit={set('Comment')} />
      </Field>
      <Field field="StartAt" problems={at('StartAt')} label="Start at">
        <TargetSelect name="StartAt" value={definition.StartAt} names={names} onChange={(v) => set('StartAt')(v || '')} />
      </Field>
      <Field field="QueryLanguage" problems={at('QueryLanguage')} label="Query language">
        <select name="QueryLanguage" value={definition.QueryLanguage || 'JSONPath'}
          onChange={(e) => set('QueryLanguage')(e.target.value === 'JSONPath' ? undefined : e.target.value)}>
          <option value="JSONPath">JSONPath</option>
          <option value="JSONata">JSONata</option>
        </select>
      </Field>
      <Field field="TimeoutSeconds" problems={at('TimeoutSeconds')} label="Timeout (seconds)">
        <TextInput name="TimeoutSeconds" value={definition.TimeoutSeconds} numeric onCommit={set('TimeoutSeconds')} />
      </Field>
    </div>
  );
}
