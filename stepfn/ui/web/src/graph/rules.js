// A Choice rule as short readable text, for the label of its edge (and its tooltip).
// Every comparison operator of the ASL: String/Numeric/Boolean/Timestamp x Equals,
// LessThan, GreaterThan, LessThanEquals, GreaterThanEquals, each with its Path variant
// (compared with the value at another path), StringMatches, the type tests Is*, the
// And/Or/Not combinators, and JSONata's Condition.

const COMPARISON = /^(String|Numeric|Boolean|Timestamp)(Equals|LessThan|GreaterThan|LessThanEquals|GreaterThanEquals)(Path)?$/;
const SYMBOLS = {
  Equals: '==', LessThan: '<', GreaterThan: '>', LessThanEquals: '<=', GreaterThanEquals: '>=',
};
const TYPE_TESTS = {
  IsNull: 'null', IsPresent: 'present', IsNumeric: 'numeric', IsString: 'a string',
  IsBoolean: 'a boolean', IsTimestamp: 'a timestamp',
};
// Members of a rule that are not its operator.
const NOT_OPERATORS = new Set(['Variable', 'Next', 'Comment', 'Assign', 'Output']);
const MAX = 48;

function literal(value) {
  return typeof value === 'string' ? JSON.stringify(value) : JSON.stringify(value) ?? String(value);
}

/** The operator member of a comparison rule: [key, value], or null. */
export function operatorOf(rule) {
  for (const [key, value] of Object.entries(rule)) {
    if (!NOT_OPERATORS.has(key)) return [key, value];
  }
  return null;
}

function comparison(rule) {
  const variable = rule.Variable ?? '?';
  const found = operatorOf(rule);
  if (!found) return variable;
  const [key, value] = found;
  if (TYPE_TESTS[key]) {
    const negated = value === false || value === 'false';
    return `${variable} is ${negated ? 'not ' : ''}${TYPE_TESTS[key]}`;
  }
  if (key === 'StringMatches') return `${variable} matches ${literal(value)}`;
  const m = COMPARISON.exec(key);
  if (!m) return `${variable} ${key} ${literal(value)}`;
  const [, , operator, path] = m;
  return `${variable} ${SYMBOLS[operator]} ${path ? value : literal(value)}`;
}

/** The rule as text: `$.x > 3`, `$.a == "b" and $.c is present`, a JSONata Condition. */
export function ruleText(rule) {
  if (!rule || typeof rule !== 'object') return '';
  if (typeof rule.Condition === 'string') {
    return rule.Condition.replace(/^\s*\{%\s*/, '').replace(/\s*%\}\s*$/, '');
  }
  if (rule.Condition !== undefined) return String(rule.Condition);
  if (Array.isArray(rule.And)) return rule.And.map((r) => wrap(r)).join(' and ');
  if (Array.isArray(rule.Or)) return rule.Or.map((r) => wrap(r)).join(' or ');
  if (rule.Not && typeof rule.Not === 'object') return `not ${wrap(rule.Not, true)}`;
  return comparison(rule);
}

function wrap(rule, always = false) {
  const text = ruleText(rule);
  const compound = rule && (Array.isArray(rule.And) || Array.isArray(rule.Or));
  return compound || (always && !rule?.Not) ? `(${text})` : text;
}

/** ruleText cut to a label's length (the full text goes in a tooltip). */
export function shortRule(rule) {
  const text = ruleText(rule);
  return text.length > MAX ? `${text.slice(0, MAX - 1)}…` : text;
}
