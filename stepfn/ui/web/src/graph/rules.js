// A short, readable rendering of a Choice rule, for the label of its edge.

const OPERATORS = [
  ['Equals', '=='], ['LessThanEquals', '<='], ['GreaterThanEquals', '>='],
  ['LessThan', '<'], ['GreaterThan', '>'], ['Matches', 'matches'],
];
const TYPE_TESTS = {
  IsNull: 'null', IsPresent: 'present', IsNumeric: 'numeric', IsString: 'a string',
  IsBoolean: 'a boolean', IsTimestamp: 'a timestamp',
};
const MAX = 48;

function literal(value) {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

function comparison(rule) {
  for (const [key, value] of Object.entries(rule)) {
    if (key === 'Variable' || key === 'Next' || key === 'Comment' || key === 'Assign' ||
        key === 'Output') continue;
    if (TYPE_TESTS[key]) return `${rule.Variable} is ${value ? '' : 'not '}${TYPE_TESTS[key]}`;
    const isPath = key.endsWith('Path');
    const base = isPath ? key.slice(0, -4) : key;
    for (const [suffix, symbol] of OPERATORS) {
      if (base.endsWith(suffix)) {
        return `${rule.Variable} ${symbol} ${isPath ? value : literal(value)}`;
      }
    }
    return `${rule.Variable} ${key} ${literal(value)}`;
  }
  return rule.Variable || '?';
}

/** The rule as text: `$.x > 3`, `$.a == "b" and $.c present`, a JSONata Condition. */
export function ruleText(rule) {
  if (!rule || typeof rule !== 'object') return '';
  if (typeof rule.Condition === 'string') {
    return rule.Condition.replace(/^\{%\s*/, '').replace(/\s*%\}$/, '');
  }
  if (Array.isArray(rule.And)) return rule.And.map(wrap).join(' and ');
  if (Array.isArray(rule.Or)) return rule.Or.map(wrap).join(' or ');
  if (rule.Not) return `not ${wrap(rule.Not)}`;
  return comparison(rule);
}

function wrap(rule) {
  const text = ruleText(rule);
  return rule.And || rule.Or ? `(${text})` : text;
}

/** ruleText cut to a label's length (the full text goes in a tooltip). */
export function shortRule(rule) {
  const text = ruleText(rule);
  return text.length > MAX ? `${text.slice(0, MAX - 1)}…` : text;
}
