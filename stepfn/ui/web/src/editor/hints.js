// ASL help for the code view (CodeMirror 6): completions of field names for the object
// under the cursor (a state by its Type, a retrier, a catcher, a Choice rule, a machine or
// a branch) and of values (Type, Next/Default/StartAt from the states, QueryLanguage...),
// and the validator's diagnostics placed on the text their `location` points to.
import { syntaxTree } from '@codemirror/language';
import { jsonLanguage } from '@codemirror/lang-json';
import { setDiagnostics } from '@codemirror/lint';
import {
  ALL_STATE_FIELDS, CATCHER_FIELDS, ENUMS, MACHINE_FIELDS, RETRIER_FIELDS, RULE_FIELDS,
  SCOPE_FIELDS, TARGET_FIELDS, fieldsOf,
} from './fields.js';

const unquote = (text) => {
  try {
    return JSON.parse(text);
  } catch {
    return text.replace(/^"|"$/g, '');
  }
};

/** The name of a Property node. */
function propName(state, prop) {
  const name = prop && prop.getChild('PropertyName');
  return name ? unquote(state.sliceDoc(name.from, name.to)) : null;
}

/** The Object node's member `key`: its value node, or null. */
function member(state, obj, key) {
  for (let c = obj.firstChild; c; c = c.nextSibling) {
    if (c.name === 'Property' && propName(state, c) === key) {
      const value = c.lastChild;
      return value && value.name !== 'PropertyName' ? value : null;
    }
  }
  return null;
}

/** What the Object node `obj` is: 'state', 'machine', 'scope', 'retrier', 'catcher', 'rule'. */
function objectKind(state, obj) {
  const parent = obj.parent;
  if (!parent || parent.name === 'JsonText') return 'machine';
  if (parent.name === 'Property') {
    const key = propName(state, parent);
    const holder = parent.parent;
    const holderKey = holder && holder.parent && holder.parent.name === 'Property'
      ? propName(state, holder.parent) : null;
    if (holderKey === 'States') return 'state';
    if (key === 'ItemProcessor' || key === 'Iterator') return 'scope';
    if (key === 'Not') return 'rule';
    return null;
  }
  if (parent.name === 'Array' && parent.parent && parent.parent.name === 'Property') {
    const key = propName(state, parent.parent);
    if (key === 'Branches') return 'scope';
    if (key === 'Retry') return 'retrier';
    if (key === 'Catch') return 'catcher';
    if (key === 'Choices' || key === 'And' || key === 'Or') return 'rule';
  }
  return null;
}

function keysFor(state, obj, lang) {
  switch (objectKind(state, obj)) {
    case 'machine': return MACHINE_FIELDS;
    case 'scope': return SCOPE_FIELDS;
    case 'retrier': return RETRIER_FIELDS;
    case 'catcher': return CATCHER_FIELDS;
    case 'rule': return RULE_FIELDS;
    case 'state': {
      const typeNode = member(state, obj, 'Type');
      const type = typeNode ? unquote(state.sliceDoc(typeNode.from, typeNode.to)) : null;
      const ownLang = member(state, obj, 'QueryLanguage');
      const l = ownLang ? unquote(state.sliceDoc(ownLang.from, ownLang.to)) : lang;
      return type ? ['Type', 'Comment', 'QueryLanguage', ...fieldsOf(type, l)] : ALL_STATE_FIELDS;
    }
    default: return [];
  }
}

/**
 * A completion source for ASL. `context()` gives {names: state names, lang: the machine's
 * query language} from the editor's current definition.
 */
export function aslCompletions(context) {
  return (cx) => {
    const word = cx.matchBefore(/"?[\w.$:-]*/);
    if (!word || (word.from === word.to && !cx.explicit)) return null;
    const before = cx.state.sliceDoc(Math.max(0, word.from - 200), word.from);
    const valueOf = /"([^"]+)"\s*:\s*$/.exec(before);
    const quoted = word.text.startsWith('"');
    // Replace the whole quoted token when the cursor is inside one.
    const after = cx.state.sliceDoc(cx.pos, cx.pos + 1);
    const to = quoted && after === '"' ? cx.pos + 1 : cx.pos;
    if (valueOf) {
      const key = valueOf[1];
      const target = TARGET_FIELDS.has(key);
      const values = target ? context().names : ENUMS[key];
      if (!values || !values.length) return null;
      return { from: word.from, to,
        options: values.map((v) => ({ label: JSON.stringify(v), type: 'enum',
          detail: target ? 'state' : key })) };
    }
    // A key is expected right after `{` or `,` (whitespace between).
    if (!/[{,]\s*$/.test(before)) return null;
    let node = syntaxTree(cx.state).resolveInner(word.from, 1);
    while (node && node.name !== 'Object') node = node.parent;
    if (!node) return null;
    const keys = keysFor(cx.state, node, context().lang);
    if (!keys.length) return null;
    return { from: word.from, to,
      options: keys.map((k) => ({ label: `"${k}"`, apply: `"${k}": `, type: 'property' })) };
  };
}

/** The completion extension (JSON language data, so basicSetup's autocompletion uses it). */
export function aslHints(context) {
  return jsonLanguage.data.of({ autocomplete: aslCompletions(context) });
}

/** The text range a JSON pointer-like location (`/States/A/Catch[0]/Next`) names. */
export function rangeOf(state, location) {
  const tree = syntaxTree(state);
  let node = tree.topNode.firstChild; // the document's value
  let range = node ? { from: node.from, to: node.to } : null;
  if (!location) return range ? { from: range.from, to: Math.min(range.to, range.from + 1) } : null;
  for (const part of location.split('/').slice(1)) {
    const m = /^(.*?)((?:\[\d+\])*)$/.exec(part);
    const steps = [m[1], ...[...m[2].matchAll(/\[(\d+)\]/g)].map((x) => Number(x[1]))];
    for (const step of steps) {
      if (!node) return range;
      if (typeof step === 'number') {
        if (node.name !== 'Array') return range;
        const items = [];
        for (let c = node.firstChild; c; c = c.nextSibling) if (!'[],'.includes(c.name)) items.push(c);
        node = items[step] || null;
        if (node) range = { from: node.from, to: node.to };
      } else if (step !== '') {
        if (node.name !== 'Object') return range;
        let prop = null;
        for (let c = node.firstChild; c; c = c.nextSibling) {
          if (c.name === 'Property' && propName(state, c) === step) prop = c;
        }
        if (!prop) return range;
        const name = prop.getChild('PropertyName');
        range = { from: name.from, to: name.to };
        node = prop.lastChild && prop.lastChild.name !== 'PropertyName' ? prop.lastChild : null;
      }
    }
  }
  return range;
}

/** Show `diagnostics` (ValidateStateMachineDefinition's) in the EditorView `view`. */
export function showDiagnostics(view, diagnostics) {
  const marks = [];
  for (const d of diagnostics || []) {
    const r = rangeOf(view.state, d.location);
    if (!r) continue;
    marks.push({ from: r.from, to: Math.max(r.to, r.from), message: `${d.code}: ${d.message}`,
      severity: d.severity === 'WARNING' ? 'warning' : 'error' });
  }
  view.dispatch(setDiagnostics(view.state, marks));
}
