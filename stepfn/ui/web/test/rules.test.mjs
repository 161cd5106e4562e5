// Every Choice operator's label (graph/rules.js), in JSONPath and JSONata, against a table.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ruleText, shortRule } from '../src/graph/rules.js';

const SYMBOL = { Equals: '==', LessThan: '<', GreaterThan: '>', LessThanEquals: '<=', GreaterThanEquals: '>=' };
const VALUE = { String: ['"b"', 'b'], Numeric: ['100', 100], Boolean: ['true', true], Timestamp: ['"2026-01-01T00:00:00Z"', '2026-01-01T00:00:00Z'] };

test('every typed comparison and its Path variant', () => {
  let checked = 0;
  for (const type of ['String', 'Numeric', 'Boolean', 'Timestamp']) {
    for (const op of ['Equals', 'LessThan', 'GreaterThan', 'LessThanEquals', 'GreaterThanEquals']) {
      const [shown, value] = VALUE[type];
      assert.equal(ruleText({ Variable: '$.a', [`${type}${op}`]: value, Next: 'X' }), `$.a ${SYMBOL[op]} ${shown}`, `${type}${op}`);
      assert.equal(ruleText({ Variable: '$.a', [`${type}${op}Path`]: '$.b', Next: 'X' }), `$.a ${SYMBOL[op]} $.b`, `${type}${op}Path`);
      checked += 2;
    }
  }
  assert.equal(checked, 40);
});

test('the README demo: NumericGreaterThanEquals is >=, not ==', () => {
  assert.equal(ruleText({ Variable: '$.total', NumericGreaterThanEquals: 100, Next: 'Big' }), '$.total >= 100');
  assert.equal(ruleText({ Variable: '$.total', NumericLessThanEquals: 100, Next: 'Small' }), '$.total <= 100');
});

test('type tests, true and false', () => {
  const table = [
    ['IsNull', 'null'], ['IsPresent', 'present'], ['IsNumeric', 'numeric'],
    ['IsString', 'a string'], ['IsBoolean', 'a boolean'], ['IsTimestamp', 'a timestamp'],
  ];
  for (const [op, words] of table) {
    assert.equal(ruleText({ Variable: '$.v', [op]: true, Next: 'X' }), `$.v is ${words}`);
    assert.equal(ruleText({ Variable: '$.v', [op]: false, Next: 'X' }), `$.v is not ${words}`);
  }
});

test('StringMatches keeps its pattern', () => {
  assert.equal(ruleText({ Variable: '$.file', StringMatches: 'log-*.txt', Next: 'X' }), '$.file matches "log-*.txt"');
});

test('And, Or and Not nest with parentheses where needed', () => {
  const a = { Variable: '$.a', NumericGreaterThan: 1 };
  const b = { Variable: '$.b', StringEquals: 'x' };
  const c = { Variable: '$.c', IsPresent: true };
  assert.equal(ruleText({ And: [a, b], Next: 'X' }), '$.a > 1 and $.b == "x"');
  assert.equal(ruleText({ Or: [a, { And: [b, c] }], Next: 'X' }), '$.a > 1 or ($.b == "x" and $.c is present)');
  assert.equal(ruleText({ Not: a, Next: 'X' }), 'not ($.a > 1)');
  assert.equal(ruleText({ Not: { Or: [a, b] }, Next: 'X' }), 'not ($.a > 1 or $.b == "x")');
  assert.equal(ruleText({ And: [{ Not: c }, a], Next: 'X' }), 'not ($.c is present) and $.a > 1');
  assert.equal(ruleText({ Not: { Not: a }, Next: 'X' }), 'not not ($.a > 1)');
});

test('JSONata conditions show their expression', () => {
  assert.equal(ruleText({ Condition: '{% $states.input.total >= 100 %}', Next: 'X' }), '$states.input.total >= 100');
  assert.equal(ruleText({ Condition: '{%$x%}', Next: 'X' }), '$x');
  assert.equal(ruleText({ Condition: true, Next: 'X' }), 'true');
});

test('long rules are cut for the label, whole in the tooltip', () => {
  const rule = { Variable: '$.a_very_long_variable_name.inside.something', StringEquals: 'a long value too', Next: 'X' };
  assert.equal(shortRule(rule).length, 48);
  assert.ok(shortRule(rule).endsWith('…'));
  assert.ok(ruleText(rule).endsWith('"a long value too"'));
});
