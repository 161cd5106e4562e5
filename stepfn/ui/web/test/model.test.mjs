// The execution model (exec/model.js) on histories stepfn recorded through its feed:
// the graph's statuses, the visits' statuses (inspector, table) and the iterations agree,
// following AWS's history semantics inside Map and Parallel.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ExecutionModel } from '../src/exec/model.js';
import { statesOf } from '../src/exec/definition.js';
import { retryRules } from '../src/exec/status.js';
import { threadAssigner } from '../src/exec/source.js';

const RECORDED = JSON.parse(readFileSync(new URL('./fixtures/histories.json', import.meta.url)));

function modelOf({ definition, events }, strip = false) {
  const model = new ExecutionModel(retryRules(definition), statesOf(definition));
  if (strip) {
    const place = threadAssigner(definition);
    model.addAll(events.map(({ thread, ...e }) => place(e)));
  } else {
    model.addAll(events);
  }
  return model;
}

/** Every visit's status agrees with the graph: the graph shows, per state, a status one
 *  of its visits has (the latest per thread, the most telling across threads). */
function assertAgree(model) {
  const graph = model.statuses();
  for (const [name, status] of Object.entries(graph)) {
    const visits = model.visitsOf(name);
    const opened = visits[model.relevantVisit(visits, status)];
    assert.equal(opened.status, status, `${name}: the inspector opens a ${opened.status} visit, the graph says ${status}`);
  }
  for (const v of model.visits) assert.ok(v.end !== null, `${v.name} still open after the end`);
}

test('a Map whose iteration failed: failed everywhere, MapStateAborted after MapStateFailed notwithstanding', () => {
  const recorded = RECORDED.orders_map_fails;
  const types = recorded.events.map((e) => e.type);
  assert.ok(types.includes('MapStateFailed') && types.includes('MapStateAborted'), 'the history has both');
  const model = modelOf(recorded);
  const graph = model.statuses();
  assert.equal(graph.Pick, 'failed');
  assert.equal(graph.Wrap, 'failed');
  assert.equal(graph.Fulfil, 'caught'); // its Catch took the error
  assert.equal(graph.Compensate, 'succeeded');
  assert.equal(graph.Failed, 'failed');
  assert.equal(graph.Join, undefined); // not started
  assertAgree(model);
  const pick = model.visitsOf('Pick');
  assert.equal(pick.length, 1);
  assert.equal(pick[0].status, 'failed');
  // The Map's failure says which state inside failed, and why (no empty box).
  const why = model.failureOf(pick[0]);
  assert.equal(why.error, 'ValueError');
  assert.equal(why.from.name, 'Wrap');
  assert.match(JSON.parse(why.cause).errorMessage, /out of bubble wrap/);
  // Iterations by their own events, failed ones apart from the others.
  const its = [...model.iterations.get('Pick').values()].sort((a, b) => a.index - b.index);
  assert.deepEqual(its.map((i) => i.status), ['succeeded', 'failed', 'failed']);
  // Inside the failed iteration, the graph shows that iteration's statuses.
  const inside = ['Kind', 'Wrap', 'Box'];
  const one = model.statuses(its[1].thread, inside);
  assert.deepEqual([one.Kind, one.Wrap, one.Box], ['succeeded', 'failed', 'not-started']);
  const zero = model.statuses(its[0].thread, inside);
  assert.deepEqual([zero.Kind, zero.Wrap, zero.Box], ['succeeded', 'succeeded', 'succeeded']);
});

test('a runtime error inside an iteration: the iteration, its state and the Map failed', () => {
  const model = modelOf(RECORDED.orders_runtime_error);
  const graph = model.statuses();
  assert.equal(graph.Kind, 'failed');
  assert.equal(graph.Pick, 'failed');
  assert.equal(graph.Fulfil, 'failed');
  assert.equal(graph.Charge, 'aborted'); // TaskStateAborted: the branch failure stopped it
  assertAgree(model);
  const fulfil = model.visitsOf('Fulfil')[0];
  assert.equal(model.failureOf(fulfil).error, 'States.Runtime'); // from ExecutionFailed
});

test('a task retried then caught: retrying during the back-off, caught at the end', () => {
  const recorded = RECORDED.retried_then_caught;
  const model = new ExecutionModel(retryRules(recorded.definition), statesOf(recorded.definition));
  const seen = [];
  for (const e of recorded.events) {
    model.addAll([e]);
    const s = model.statuses().Charge;
    if (s && seen[seen.length - 1] !== s) seen.push(s);
  }
  // The last failure is the state's (no attempts left) until the catcher takes it.
  assert.deepEqual(seen, ['running', 'retrying', 'running', 'failed', 'caught']);
  const charge = model.visitsOf('Charge')[0];
  assert.equal(charge.retries.length, 1);
  assert.equal(model.failureOf(charge).error, 'RuntimeError');
  assertAgree(model);
});

test('without the feed thread member (the history route), the threads are rebuilt', () => {
  for (const name of ['orders_map_fails', 'orders_runtime_error']) {
    const withThreads = modelOf(RECORDED[name]);
    const rebuilt = modelOf(RECORDED[name], true);
    assert.deepEqual(rebuilt.statuses(), withThreads.statuses(), name);
    assert.deepEqual(rebuilt.visits.map((v) => v.thread), withThreads.visits.map((v) => v.thread), name);
  }
});
