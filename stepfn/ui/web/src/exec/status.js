// The Retry rules of a definition, and whether a task failure is taken by one of them
// (as the interpreter decides: the first rule matching the error, if it has attempts
// left), so that the execution page (exec/model.js) shows a task the back-off of a
// retry as retrying from its failure on, not as failed until it is scheduled again.

import { statesOf } from './definition.js';

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
