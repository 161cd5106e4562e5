// The Choice rule builder: each rule's condition as a form (JSONPath: a variable, an
// operator and a value, or And / Or / Not of conditions, nested at will; JSONata: the
// Condition expression in a code field) and its Next state; rules added, removed and
// moved. Every control has a label; names follow the rule's location
// (`Choices[0].And[1].Variable`) so diagnostics and tests can find them.

const TYPES = ['String', 'Numeric', 'Timestamp'];
const RELATIONS = [
  ['Equals', '=='], ['LessThan', '<'], ['GreaterThan', '>'], ['LessThanEquals', '<='], ['GreaterThanEquals', '>='],
];
const TESTS = [
  ['IsPresent', 'is present'], ['IsNull', 'is null'], ['IsNumeric', 'is numeric'], ['IsString', 'is a string'],
  ['IsBoolean', 'is a boolean'], ['IsTimestamp', 'is a timestamp'],
];
// Members of a rule that are not its condition.
const OUTSIDE = ['Next', 'Assign', 'Output', 'Comment'];

/** Every operator the builder offers: [key, words]. */
export const OPERATORS = [
  ...TYPES.flatMap((t) => RELATIONS.flatMap(([r, sym]) => [
    [`${t}${r}`, `${t.toLowerCase()} ${sym}`], [`${t}${r}Path`, `${t.toLowerCase()} ${sym} path`]])),
  ['BooleanEquals', 'boolean =='], ['BooleanEqualsPath', 'boolean == path'],
  ['StringMatches', 'string matches (* wildcard)'],
  ...TESTS,
];
const KNOWN = new Set(OPERATORS.map(([k]) => k));

function operatorOf(rule) {
  return Object.keys(rule).find((k) => k !== 'Variable' && !OUTSIDE.includes(k)) || 'StringEquals';
}

function kindOf(rule) {
  if (Array.isArray(rule.And)) return 'And';
  if (Array.isArray(rule.Or)) return 'Or';
  if (rule.Not && typeof rule.Not === 'object') return 'Not';
  return 'Compare';
}

const NEW_COMPARISON = () => ({ Variable: '$.value', StringEquals: '' });

/** The value of `op` typed as ASL wants it, from the text of an input. */
function typed(op, text) {
  if (op.endsWith('Path')) return text;
  if (op.startsWith('Is') || op === 'BooleanEquals') return text === 'true';
  if (op.startsWith('Numeric')) {
    const n = Number(text);
    return text.trim() !== '' && Number.isFinite(n) ? n : text;
  }
  return text;
}

function Comparison({ rule, path, onChange }) {
  const op = operatorOf(rule);
  const value = rule[op];
  const set = (nextOp, nextValue) => onChange({ Variable: rule.Variable ?? '', [nextOp]: nextValue });
  const changeOp = (nextOp) => {
    let v = value;
    if (nextOp.startsWith('Is') || nextOp === 'BooleanEquals') v = value === false ? false : true;
    else if (nextOp.endsWith('Path')) v = typeof value === 'string' && value.startsWith('$') ? value : '$.';
    else v = typed(nextOp, value === undefined || typeof value === 'boolean' ? '' : String(value));
    set(nextOp, v);
  };
  const boolean = op.startsWith('Is') || op === 'BooleanEquals';
  return (
    <div class="rule-compare">
      <label>Variable
        <input name={`${path}.Variable`} value={rule.Variable ?? ''} placeholder="$.field"
          onChange={(e) => onChange({ ...rule, Variable: e.target.value })} />
      </label>
      <label>Operator
        <select name={`${path}.operator`} value={op} onChange={(e) => changeOp(e.target.value)}>
          {!KNOWN.has(op) && <option value={op}>{op}</option>}
          {OPERATORS.map(([k, words]) => <option value={k}>{words}</option>)}
        </select>
      </label>
      <label>{op.endsWith('Path') ? 'Compared with (path)' : op.startsWith('Is') ? 'Expected' : 'Value'}
        {boolean ? (
          <select name={`${path}.value`} value={String(value !== false)} onChange={(e) => set(op, e.target.value === 'true')}>
            <option value="true">true</option><option value="false">false</option>
          </select>
        ) : (
          <input name={`${path}.value`} value={value === undefined ? '' : String(value)}
            inputMode={op.startsWith('Numeric') && !op.endsWith('Path') ? 'decimal' : undefined}
            placeholder={op.endsWith('Path') ? '$.other' : op.startsWith('Timestamp') ? '2026-01-01T00:00:00Z' : ''}
            onChange={(e) => set(op, typed(op, e.target.value))} />
        )}
      </label>
    </div>
  );
}

/** One condition (a comparison, or And / Or / Not of conditions), edited in place. */
export function Condition({ rule, path, onChange, depth = 0 }) {
  const kind = kindOf(rule);
  const changeKind = (next) => {
    if (next === kind) return;
    const inner = kind === 'Compare' ? rule : kind === 'Not' ? rule.Not : (rule[kind][0] || NEW_COMPARISON());
    if (next === 'Compare') onChange(kindOf(inner) === 'Compare' ? inner : NEW_COMPARISON());
    else if (next === 'Not') onChange({ Not: inner });
    else onChange({ [next]: kind === 'And' || kind === 'Or' ? rule[kind] : [inner] });
  };
  return (
    <div class={`rule-condition depth-${Math.min(depth, 3)}`} data-rule={path}>
      <label class="rule-kind">Condition
        <select name={`${path}.kind`} value={kind} onChange={(e) => changeKind(e.target.value)}>
          <option value="Compare">a comparison</option>
          <option value="And">all of (And)</option>
          <option value="Or">any of (Or)</option>
          <option value="Not">not</option>
        </select>
      </label>
      {kind === 'Compare' && <Comparison rule={rule} path={path} onChange={onChange} />}
      {kind === 'Not' && (
        <Condition rule={rule.Not} path={`${path}.Not`} depth={depth + 1} onChange={(c) => onChange({ Not: c })} />
      )}
      {(kind === 'And' || kind === 'Or') && (
        <div class="rule-children">
          {rule[kind].map((child, i) => (
            <div class="rule-child">
              <Condition rule={child} path={`${path}.${kind}[${i}]`} depth={depth + 1}
                onChange={(c) => onChange({ [kind]: rule[kind].map((x, j) => (j === i ? c : x)) })} />
              <button type="button" class="link" data-action="remove-condition" aria-label={`Remove condition ${i + 1}`}
                disabled={rule[kind].length < 2}
                onClick={() => onChange({ [kind]: rule[kind].filter((_, j) => j !== i) })}>Remove</button>
            </div>
          ))}
          <button type="button" data-action="add-condition" onClick={() => onChange({ [kind]: [...rule[kind], NEW_COMPARISON()] })}>
            Add a condition</button>
        </div>
      )}
    </div>
  );
}

function split(rule) {
  const condition = {};
  const outside = {};
  for (const [k, v] of Object.entries(rule || {})) (OUTSIDE.includes(k) ? outside : condition)[k] = v;
  return { condition, outside };
}

/** The list of Choice rules. Props: rules, lang, names (Next targets), onChange, TargetSelect. */
export function ChoiceRules({ rules, lang, names, onChange, TargetSelect }) {
  const list = Array.isArray(rules) ? rules : [];
  const jsonata = lang === 'JSONata';
  const setRule = (i, rule) => onChange(list.map((r, j) => (j === i ? rule : r)));
  const move = (i, by) => {
    const next = [...list];
    const [r] = next.splice(i, 1);
    next.splice(i + by, 0, r);
    onChange(next);
  };
  return (
    <div class="choice-rules">
      {list.map((rule, i) => {
        const { condition, outside } = split(rule);
        return (
          <fieldset class="row-item choice-rule" data-choice={i}>
            <legend>Rule {i + 1}</legend>
            {jsonata ? (
              <label>Condition (JSONata)
                <textarea class="mono" name={`Choices[${i}].Condition`} rows={2} spellcheck={false}
                  value={typeof rule.Condition === 'string' ? rule.Condition : ''} placeholder="{% $states.input.total > 100 %}"
                  onChange={(e) => setRule(i, { ...rule, Condition: e.target.value })} />
              </label>
            ) : (
              <Condition rule={condition} path={`Choices[${i}]`} onChange={(c) => setRule(i, { ...c, ...outside })} />
            )}
            <label>Then go to
              <TargetSelect name={`Choices[${i}].Next`} value={rule.Next} names={names} endLabel="(choose a state)"
                onChange={(v) => setRule(i, { ...rule, Next: v || undefined })} />
            </label>
            <div class="buttons">
              <button type="button" class="link-button" disabled={i === 0} aria-label={`Move up rule ${i + 1}`} onClick={() => move(i, -1)}>Move up</button>
              <button type="button" class="link-button" disabled={i === list.length - 1} aria-label={`Move down rule ${i + 1}`} onClick={() => move(i, 1)}>Move down</button>
              <button type="button" class="link" data-action="remove-rule" aria-label={`Remove rule ${i + 1}`}
                onClick={() => onChange(list.filter((_, j) => j !== i))}>Remove</button>
            </div>
          </fieldset>
        );
      })}
      <button type="button" data-action="add-rule"
        onClick={() => onChange([...list, jsonata ? { Condition: '{% true %}' } : NEW_COMPARISON()])}>Add a rule</button>
    </div>
  );
}
