// The form of the selected state: its name, the fields of its type in its query language,
// Next/End (or Default), Retry and Catch lists; and the form of the workflow itself when no
// state is selected. Each diagnostic is shown at its field (`data-field` names the field).
import { useState } from 'preact/hooks';
import {
  addBeside, findState, queryLanguage, removeState, renameState, setField, setNext, siblingNames,
  topField, uniqueName,
} from './asl.js';
import { ChoiceRules } from './ChoiceRules.jsx';
import { JSON_FIELDS, NUMBER_FIELDS, PAYLOAD_FIELDS, fieldsOf } from './fields.js';
import { PayloadForm } from './PayloadForm.jsx';
import { ConfirmButton } from '../components/ConfirmButton.jsx';

const NEW_FAIL = '\u0000new-fail'; // the Next choice that adds a Fail state for a catcher

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

/** A JSON value edited as text, checked as it is typed; committed when it parses
 *  (empty: the field is removed). */
function JsonInput({ value, onCommit, rows = 4, name, id }) {
  const shown = value === undefined ? '' : JSON.stringify(value, null, 2);
  const [text, setText] = useState(shown);
  let bad = null;
  if (text.trim()) {
    try { JSON.parse(text); } catch (e) { bad = e.message; }
  }
  const commit = () => {
    if (!text.trim()) { onCommit(undefined); return; }
    if (!bad) onCommit(JSON.parse(text));
  };
  return (
    <>
      <textarea class="mono" name={name} id={id} rows={Math.min(12, Math.max(rows, shown.split('\n').length))}
        value={text} onInput={(e) => setText(e.target.value)} onBlur={commit} spellcheck={false}
        aria-invalid={bad ? 'true' : undefined} />
      {bad && <p class="error">Not valid JSON: {bad}</p>}
    </>
  );
}

/** A text field committed on change (blur or Enter); numbers stay numbers. */
function TextInput({ value, onCommit, numeric, name, placeholder, id, label }) {
  const commit = (e) => {
    const raw = e.target.value;
    if (raw.trim() === '') onCommit(undefined);
    else if (numeric && /^-?\d+(\.\d+)?$/.test(raw.trim())) onCommit(Number(raw));
    else onCommit(raw);
  };
  // Uncontrolled (a re-render while typing keeps the text); a new value remounts it.
  return <input key={JSON.stringify(value) ?? ''} name={name} placeholder={placeholder} id={id}
    aria-label={label} defaultValue={value === undefined ? '' : String(value)} onChange={commit} />;
}

function TargetSelect({ value, names, onChange, name, endLabel = '(none)', id, extra, label }) {
  return (
    <select name={name} id={id} aria-label={label} value={value || ''} onChange={(e) => onChange(e.target.value || null)}
      aria-invalid={!value && endLabel.startsWith('(choose') ? 'true' : undefined}>
      <option value="">{endLabel}</option>
      {names.map((n) => <option value={n}>{n}</option>)}
      {value && !names.includes(value) && <option value={value}>{value} (missing)</option>}
      {extra}
    </select>
  );
}

/** A field of the form: its label tied to its control (`for` = the control's id), or,
 *  for a group of controls (`group`), naming the group. */
function Field({ field, problems, children, label, group }) {
  const id = `field-${field}`;
  return (
    <div class={`field${problems && problems.length ? ' has-problem' : ''}`} data-field={field}
      role={group ? 'group' : undefined} aria-labelledby={group ? `${id}-label` : undefined}>
      {group ? <span class="field-label" id={`${id}-label`}>{label || field}</span>
        : <label for={id}>{label || field}</label>}
      {typeof children === 'function' ? children(id) : children}
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
    <Field field="Retry" problems={problems} label="Retry" group>
      {list.map((r, i) => (
        <div class="row-item" data-retrier={i}>
          <label>Errors (comma separated)
            <input key={errorsText(r.ErrorEquals)} name={`Retry[${i}].ErrorEquals`} defaultValue={errorsText(r.ErrorEquals)}
              onChange={(e) => set(i, 'ErrorEquals', errorsList(e.target.value))} />
          </label>
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
          <button type="button" class="link" aria-label={`Remove retrier ${i + 1}`} onClick={() => onChange(list.filter((_, j) => j !== i))}>Remove</button>
        </div>
      ))}
      <button type="button" data-action="add-retrier"
        onClick={() => onChange([...list, { ErrorEquals: ['States.ALL'], IntervalSeconds: 1, MaxAttempts: 3, BackoffRate: 2 }])}>
        Add retrier</button>
    </Field>
  );
}

function CatchList({ catchers, names, lang, onChange, onNewFail, problems }) {
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
    <Field field="Catch" problems={problems} label="Catch" group>
      {list.map((c, i) => (
        <div class="row-item" data-catcher={i}>
          <label>Errors (comma separated)
            <input key={errorsText(c.ErrorEquals)} name={`Catch[${i}].ErrorEquals`} defaultValue={errorsText(c.ErrorEquals)}
              onChange={(e) => set(i, 'ErrorEquals', errorsList(e.target.value))} />
          </label>
          <div class="mini">
            <label>Next
              <TargetSelect name={`Catch[${i}].Next`} value={c.Next} names={names} endLabel="(choose the next state)"
                extra={<option value={NEW_FAIL}>A new Fail state</option>}
                onChange={(v) => (v === NEW_FAIL ? onNewFail(i) : set(i, 'Next', v || undefined))} />
            </label>
            <label>{pathKey}
              <TextInput name={`Catch[${i}].${pathKey}`} value={typeof c[pathKey] === 'string' ? c[pathKey] : undefined}
                placeholder={lang === 'JSONata' ? '{% $states.errorOutput %}' : '$.error'}
                onCommit={(v) => set(i, pathKey, v)} />
            </label>
          </div>
          {!c.Next && <p class="warning" data-catcher-next="missing">Choose where this catcher goes (or a new Fail state).</p>}
          <button type="button" class="link" aria-label={`Remove catcher ${i + 1}`} onClick={() => onChange(list.filter((_, j) => j !== i))}>Remove</button>
        </div>
      ))}
      {/* No default Next: the first state would make a loop. */}
      <button type="button" data-action="add-catcher"
        onClick={() => onChange([...list, { ErrorEquals: ['States.ALL'] }])}>Add catcher</button>
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
        <input key={name} id="field-Name" name="StateName" defaultValue={name} onChange={rename} />
        {renameError && <p class="error">{renameError}</p>}
      </Field>
      <p class="muted">Type: <b data-state-type>{type}</b> · {lang}</p>
      <Problems list={elsewhere} />
      <Field field="Comment" problems={at('Comment')}>
        <TextInput id="field-Comment" name="Comment" value={state.Comment} onCommit={set('Comment')} />
      </Field>
      <Field field="QueryLanguage" problems={at('QueryLanguage')} label="Query language">
        <select id="field-QueryLanguage" name="QueryLanguage" value={state.QueryLanguage || ''} onChange={(e) => set('QueryLanguage')(e.target.value || undefined)}>
          <option value="">(the workflow's: {definition.QueryLanguage || 'JSONPath'})</option>
          <option value="JSONPath">JSONPath</option>
          <option value="JSONata">JSONata</option>
        </select>
      </Field>
      {shown.map((f) => {
        const expression = lang === 'JSONata' && typeof state[f] === 'string';
        if (f === 'Choices') {
          return (
            <Field field={f} problems={at(f)} label="Choice rules" group>
              <ChoiceRules rules={state.Choices} lang={lang} names={names} TargetSelect={TargetSelect}
                onChange={(v) => set('Choices')(v)} />
            </Field>
          );
        }
        if (PAYLOAD_FIELDS.has(f) && !expression) {
          return (
            <Field field={f} problems={at(f)} group>
              <PayloadForm key={name} field={f} value={state[f]} lang={lang} onCommit={set(f)} />
            </Field>
          );
        }
        return (
          <Field field={f} problems={at(f)}>
            {JSON_FIELDS.has(f) && !expression
              ? <JsonInput key={JSON.stringify(state[f]) ?? ''} id={`field-${f}`} name={f} value={state[f]} onCommit={set(f)} rows={3} />
              : <TextInput id={`field-${f}`} name={f} value={state[f]} numeric={NUMBER_FIELDS.has(f)} onCommit={set(f)} />}
          </Field>
        );
      })}
      {addable.length > 0 && (
        <select class="add-field" value="" aria-label="Add a field" onChange={(e) => e.target.value && setAdding([...adding, e.target.value])}>
          <option value="">Add a field…</option>
          {addable.map((f) => <option value={f}>{f}</option>)}
        </select>
      )}
      {type === 'Choice' && (
        <Field field="Default" problems={at('Default')}>
          <TargetSelect id="field-Default" name="Default" value={state.Default} names={names} onChange={(v) => set('Default')(v || undefined)} />
        </Field>
      )}
      {fieldsOf(type, lang).includes('Next') && (
        <Field field="Next" problems={[...at('Next'), ...at('End')]} label="Next state">
          <TargetSelect id="field-Next" name="Next" value={state.Next} names={names} endLabel="(End: the workflow ends here)"
            onChange={(v) => onChange(setNext(definition, name, v))} />
        </Field>
      )}
      {fieldsOf(type, lang).includes('Retry') && (
        <RetryList retry={state.Retry} problems={at('Retry')} onChange={(v) => set('Retry')(v.length ? v : undefined)} />
      )}
      {fieldsOf(type, lang).includes('Catch') && (
        <CatchList catchers={state.Catch} names={names} lang={lang} problems={at('Catch')}
          onChange={(v) => set('Catch')(v.length ? v : undefined)}
          onNewFail={(i) => {
            const failName = uniqueName(definition, `${name} failed`);
            const withFail = addBeside(definition, name, failName, { Type: 'Fail', Error: `${name}.Failed`, Cause: `${name} failed` });
            const catchers = (state.Catch || []).map((c, j) => (j === i ? { ...c, Next: failName } : c));
            onChange(setField(withFail, name, 'Catch', catchers));
          }} />
      )}
      <div class="buttons">
        <ConfirmButton label="Delete state" name="delete-state" question={`Delete ${name}? (Undo brings it back.)`}
          confirmLabel="Delete" action={async () => { onChange(removeState(definition, name)); onSelect(null); }} />
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
        <TextInput id="field-Comment" name="Comment" value={definition.Comment} onCommit={set('Comment')} />
      </Field>
      <Field field="StartAt" problems={at('StartAt')} label="Start at">
        <TargetSelect id="field-StartAt" name="StartAt" value={definition.StartAt} names={names} onChange={(v) => set('StartAt')(v || '')} />
      </Field>
      <Field field="QueryLanguage" problems={at('QueryLanguage')} label="Query language">
        <select id="field-QueryLanguage" name="QueryLanguage" value={definition.QueryLanguage || 'JSONPath'}
          onChange={(e) => set('QueryLanguage')(e.target.value === 'JSONPath' ? undefined : e.target.value)}>
          <option value="JSONPath">JSONPath</option>
          <option value="JSONata">JSONata</option>
        </select>
      </Field>
      <Field field="TimeoutSeconds" problems={at('TimeoutSeconds')} label="Timeout (seconds)">
        <TextInput id="field-TimeoutSeconds" name="TimeoutSeconds" value={definition.TimeoutSeconds} numeric onCommit={set('TimeoutSeconds')} />
      </Field>
    </div>
  );
}
