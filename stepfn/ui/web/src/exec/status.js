// Each state's status from an execution's history, as stepfn.service.feed.state_status
// computes it on the server (the same rules, except that the state open when the
// execution fails shows as failed, not aborted; kept in step by the browser tests): the
// feed's events carry `thread` (the top level "", a Parallel branch or a Map iteration
// "<parent>/<startedEventId>.<index>"), so nested states are followed thread by thread.

import { statesOf } from './definition.js';

export const NOT_STARTED = 'not-started';
const RANK = { failed: 6, aborted: 5, retrying: 4, running: 3, caught: 2, succeeded: 1 };
const FAILURE = /(Failed|TimedOut)$/;
// A task attempt's failure, which a retrier may take (a Map or Parallel writes its own
// failure event only once none does).
export const TASK_FAILURES = new Set(['TaskFailed', 'TaskTimedOut', 'LambdaFunctionFailed',
  'LambdaFunctionTimedOut', 'ActivityFailed', 'ActivityTimedOut']);
const UNHANDLEABLE = new Set(['States.Runtime']);
const NOT_MATCHED_BY_ALL = new Set(['States.Runtime', 'States.DataLimitExceeded']);

/** Every state's Retry rules, by name: [{errors, max}] (MaxAttempts defaults to 3). */
export function retryRules(definition) {
  const rules = new Map();
  for (const [name, { state }] of statesOf(definition)) {
    if (Array.isArray(state.Retry) && state.Retry.length) {
      rules.set(name, state.Retry.map((r) => ({
        errors: Array.isArray(r?.ErrorEquals) ? r.ErrorEquals : [],
        max: Number.isInteger(r?.MaxAttempts) ? r.MaxAttempts : 3,
      })));
    }
  }
  return rules;
}

function errorMatches(errors, error) {
  if (UNHANDLEABLE.has(error)) return false;
  return errors.some((name) => name === error
    || (name === 'States.ALL' && !NOT_MATCHED_BY_ALL.has(error))
    || (name === 'States.TaskFailed' && !NOT_MATCHED_BY_ALL.has(error) && error !== 'States.Timeout'));
}

/** Whether the interpreter retries after this task failure event: the first rule
 *  matching its error, if that rule has attempts left (counted in `used`, updated). */
export function takesRetry(rules, used, event) {
  if (!rules || !used) return false;
  const kind = event.type;
  const details = event[kind[0].toLowerCase() + kind.slice(1) + 'EventDetails'] || {};
  const error = details.error || (kind.endsWith('TimedOut') ? 'States.Timeout' : null);
  if (typeof error !== 'string') return false;
  const index = rules.findIndex((rule) => errorMatches(rule.errors, error));
  if (index < 0 || used[index] >= rules[index].max) return false;
  used[index] += 1;
  return true;
}

/** A running computation of statuses: feed it events with `add`, read `statuses()`.
 *  With the definition's `retryRules`, a task failure a retrier takes shows as
 *  retrying during its back-off (as the server's state_status). */
export class StatusTracker {
  constructor(rules = new Map()) {
    this.rules = rules;
    this.visits = new Map(); // `${thread}\u0000${name}` -> status
    this.current = new Map(); // thread -> name of the state it is in
    this.failed = new Map(); // thread -> its state that failed, outcome not yet known
    this.used = new Map(); // thread -> retries used per rule of its current state
  }

  /** Take one history event (as the feed sends it). */
  add(event) {
    const kind = event.type;
    const thread = event.thread || '';
    if (kind.endsWith('StateEntered')) {
      const name = event.stateEnteredEventDetails?.name;
      if (name) {
        this.current.set(thread, name);
        this.set(thread, name, 'running');
        this.used.set(thread, (this.rules.get(name) || []).map(() => 0));
      }
    } else if (kind.endsWith('StateExited')) {
      const name = this.current.get(thread);
      this.current.delete(thread);
      if (name !== undefined) {
        this.set(thread, name, this.failed.get(thread) === name ? 'caught' : 'succeeded');
      }
      this.failed.delete(thread);
      this.abort(thread, true);
    } else if (kind.startsWith('Execution') && kind !== 'ExecutionStarted' &&
               kind !== 'ExecutionRedriven') {
      // A top-level state still open when the execution fails (a Fail state, or one
      // whose error nothing caught) is the one that failed it; the others were stopped.
      const name = this.current.get('');
      if (kind === 'ExecutionFailed' && name !== undefined && this.get('', name) === 'running') {
        this.set('', name, 'failed');
      }
      this.abort('', false);
    } else if (kind.endsWith('Aborted')) {
      this.abort(thread, false);
    } else if (kind.endsWith('Scheduled') && this.failed.has(thread)) {
      this.set(thread, this.failed.get(thread), 'retrying');
      this.failed.delete(thread);
    } else if (FAILURE.test(kind) && this.current.has(thread)) {
      const name = this.current.get(thread);
      if (this.get(thread, name) !== 'failed') {
        const retried = TASK_FAILURES.has(kind)
          && takesRetry(this.rules.get(name), this.used.get(thread), event);
        this.set(thread, name, retried ? 'retrying' : 'failed');
        this.failed.set(thread, name); // caught, should no retry come after all
      }
      this.abort(thread, true);
    }
  }

  get(thread, name) {
    return this.visits.get(`${thread}\u0000${name}`);
  }

  set(thread, name, status) {
    this.visits.set(`${thread}\u0000${name}`, status);
  }

  abort(thread, insideOnly) {
    const prefix = `${thread}/`;
    for (const [t, name] of [...this.current]) {
      if (t.startsWith(prefix) || (t === thread && !insideOnly)) {
        this.current.delete(t);
        const s = this.get(t, name);
        if (s === 'running' || s === 'retrying') this.set(t, name, 'aborted');
        this.failed.delete(t);
      }
    }
  }

  /** {stateName: status} over every visit (the most telling one wins, as on the server). */
  statuses() {
    const out = {};
    for (const [key, status] of this.visits) {
      const name = key.slice(key.indexOf('\u0000') + 1);
      if (!out[name] || RANK[status] > RANK[out[name]]) out[name] = status;
    }
    return out;
  }
}

/** Statuses of a whole history at once. */
export function stateStatus(events, rules) {
  const tracker = new StatusTracker(rules);
  for (const e of events) tracker.add(e);
  return tracker.statuses();
}
