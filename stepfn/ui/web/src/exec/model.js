// What the execution page shows, built incrementally from the history events as the
// feed delivers them: each state's visits (input, output, task result, retries,
// variables assigned, duration, status), Map iterations, and from the visits the
// per-state statuses of the graph, so the graph, the inspector, the table and the
// iteration browser read one and the same status.
//
// A visit's status, as AWS's history tells it:
// - running from its StateEntered event; succeeded at its StateExited;
// - a task attempt's failure (TaskFailed, LambdaFunctionTimedOut, ...): retrying when a
//   retrier of the state takes it (its back-off has begun) until the next attempt is
//   scheduled, else failed; MapStateFailed / ParallelStateFailed: failed;
// - failed then exited: caught (a catcher took the error);
// - <Type>StateAborted, or its thread (a Parallel branch, a Map iteration, the
//   execution) ended under it: aborted, unless it had failed: a state that failed
//   stays failed (AWS writes TaskStateAborted, MapStateAborted after the failure of the
//   state that ends a Parallel branch), so does a Map or Parallel with a failure inside;
//   an open Fail state failed its thread, as does the open state of a MapIterationFailed.
// A state's status on the graph is that of its latest visit in each thread (a loop, a
// redrive: the latest counts), the most telling one across threads (Map iterations,
// Parallel branches): failed, aborted, retrying, running, caught, succeeded.
import { TASK_FAILURES, takesRetry } from './status.js';

export const NOT_STARTED = 'not-started';
export const RANK = { failed: 6, aborted: 5, retrying: 4, running: 3, caught: 2, succeeded: 1 };
const TASK_FAILURE = /^(Task|LambdaFunction|Activity)(Failed|TimedOut|StartFailed|ScheduleFailed|SubmitFailed)$/;
const STATE_FAILED = /^(Map|Parallel)StateFailed$/;
const STATE_ABORTED = /^[A-Za-z]+StateAborted$/;
const RUN_STARTED = /^(Map|Parallel)StateStarted$/;

/** The details member of an event (`<type>EventDetails`), or {}. */
export function detailsOf(event) {
  for (const key in event) {
    if (key.endsWith('EventDetails')) return event[key] || {};
  }
  return {};
}

/** "Task", "Pass", ... from "TaskStateEntered". */
function typeOf(kind) {
  return kind.slice(0, kind.indexOf('State'));
}

export class ExecutionModel {
  /** `rules`: the definition's Retry rules by state name (status.js `retryRules`);
   *  `states`: its states by name (definition.js `statesOf`), for what the history
   *  does not say (a Fail state's Error and Cause). */
  constructor(rules = new Map(), states = new Map()) {
    this.rules = rules;
    this.states = states;
    this.events = [];
    this.byId = new Map();
    this.visits = []; // every visit in the order entered
    this.visitsByName = new Map();
    this.open = new Map(); // thread -> its open visit
    this.iterations = new Map(); // Map state name -> Map(index -> iteration)
    this.eventVisit = new Map(); // event id -> visit (the state it belongs to)
    this.runs = new Map(); // MapStateStarted/ParallelStateStarted event id -> its visit
    this.start = null;
    this.end = null;
    this.ended = null; // the execution's terminal event
    this.version = 0;
    this.cache = null;
  }

  /** Take events in order (duplicates are ignored). */
  addAll(events) {
    for (const e of events) {
      if (this.byId.has(e.id)) continue;
      this.add(e);
    }
    this.version += 1;
    this.cache = null;
  }

  add(event) {
    this.events.push(event);
    this.byId.set(event.id, event);
    const t = event.timestamp;
    if (this.start === null) this.start = t;
    this.end = t;
    const kind = event.type;
    const thread = event.thread || '';
    const d = detailsOf(event);
    if (kind.endsWith('StateEntered')) {
      this.enter(event, thread, d, t);
      return;
    }
    if (kind.startsWith('MapIteration')) {
      this.iteration(kind, thread, d, t);
      return;
    }
    if (kind === 'ExecutionRedriven') {
      this.ended = null;
      return;
    }
    if (kind.startsWith('Execution') && kind !== 'ExecutionStarted') {
      this.finish(kind, d, t, event);
      return;
    }
    const visit = this.open.get(thread);
    if (!visit) return;
    visit.eventIds.push(event.id);
    this.eventVisit.set(event.id, visit);
    if (RUN_STARTED.test(kind)) {
      this.runs.set(event.id, visit);
    } else if (kind.endsWith('StateExited')) {
      visit.output = d.output;
      visit.assigned = d.assignedVariables;
      this.closeInside(thread, t);
      this.close(visit, visit.failure ? 'caught' : 'succeeded', t);
      this.open.delete(thread);
    } else if (kind.endsWith('Scheduled')) {
      visit.scheduled = d;
      if (visit.status === 'retrying' || visit.failure) {
        const last = visit.retries[visit.retries.length - 1];
        if (last) last.retriedAt = t;
        visit.failure = null;
        visit.status = 'running';
      }
    } else if (TASK_FAILURE.test(kind)) {
      const error = d.error || (kind.endsWith('TimedOut') ? 'States.Timeout' : undefined);
      visit.failure = { error, cause: d.cause, at: t, event: kind };
      visit.retries.push({ error, cause: d.cause, at: t, retriedAt: null });
      // Taken by a retrier: the back-off has begun.
      visit.status = TASK_FAILURES.has(kind) && takesRetry(this.rules.get(visit.name), visit.used, event)
        ? 'retrying' : 'failed';
    } else if (kind.endsWith('Succeeded') && !kind.startsWith('Map') && !kind.startsWith('Parallel')) {
      if (d.output !== undefined) visit.result = d.output;
    } else if (STATE_FAILED.test(kind)) {
      this.closeInside(thread, t);
      visit.failure = visit.failure || { error: d.error, cause: d.cause, at: t, event: kind };
      visit.status = 'failed';
    } else if (STATE_ABORTED.test(kind)) {
      this.closeInside(thread, t);
      // A Map or Parallel that a failure inside ended failed (whatever ended it after).
      const failedInside = (visit.type === 'Map' || visit.type === 'Parallel') &&
        this.insideOf(visit).some((v) => v.status === 'failed');
      this.close(visit, visit.status === 'failed' || failedInside ? 'failed' : 'aborted', t);
      this.open.delete(thread);
    }
  }

  enter(event, thread, d, t) {
    const visit = {
      name: d.name, type: typeOf(event.type), thread, enteredId: event.id, start: t, end: null,
      input: d.input, output: undefined, status: 'running', retries: [], result: undefined,
      scheduled: undefined, assigned: undefined, failure: null, eventIds: [event.id],
      used: (this.rules.get(d.name) || []).map(() => 0), // retries used per rule
    };
    this.visits.push(visit);
    if (!this.visitsByName.has(d.name)) this.visitsByName.set(d.name, []);
    this.visitsByName.get(d.name).push(visit);
    const before = this.open.get(thread);
    if (before) this.close(before, before.status === 'failed' ? 'failed' : 'succeeded', t);
    this.open.set(thread, visit);
    this.eventVisit.set(event.id, visit);
    if (visit.type === 'Fail') {
      // A Fail state fails its thread: it says why in the definition.
      const own = this.states.get(d.name)?.state || {};
      visit.failure = { error: typeof own.Error === 'string' ? own.Error : undefined,
        cause: typeof own.Cause === 'string' ? own.Cause : undefined, at: t, event: event.type };
      visit.status = 'failed';
    }
  }

  iteration(kind, thread, d, t) {
    const table = this.iterations.get(d.name) || new Map();
    this.iterations.set(d.name, table);
    let it = table.get(d.index);
    // A Map retried runs its iterations again (a new MapStateStarted): the latest counts.
    if (!it || (kind.endsWith('Started') && it.thread !== thread)) {
      it = { index: d.index, thread, status: 'running', start: t, end: null };
    }
    if (kind.endsWith('Succeeded')) it.status = 'succeeded';
    else if (kind.endsWith('Failed')) it.status = 'failed';
    else if (kind.endsWith('Aborted')) it.status = 'aborted';
    if (!kind.endsWith('Started')) {
      it.end = t;
      // The iteration ended: a failed iteration failed through the state it was in;
      // in an aborted one, what still ran stopped.
      const inner = this.open.get(thread);
      if (inner) {
        this.close(inner, inner.status === 'failed' || kind.endsWith('Failed') ? 'failed' : 'aborted', t);
        this.open.delete(thread);
      }
      this.closeInside(thread, t);
    }
    table.set(d.index, it);
  }

  finish(kind, d, t, event) {
    this.ended = event;
    for (const [th, v] of [...this.open]) {
      // The top-level state open when the execution fails is the one that failed it.
      const failedIt = v.status === 'failed' || (kind === 'ExecutionFailed' && th === '');
      if (failedIt && th === '' && kind === 'ExecutionFailed' && (!v.failure || (!v.failure.error && !v.failure.cause))) {
        v.failure = { error: d.error, cause: d.cause, at: t, event: kind };
      }
      this.close(v, failedIt ? 'failed' : 'aborted', t);
    }
    this.open.clear();
  }

  close(visit, status, t) {
    if (visit.end === null) visit.end = t;
    visit.status = status;
    // The last failure was not retried: it is the state's error, not a retry.
    const last = visit.retries[visit.retries.length - 1];
    if (last && last.retriedAt === null) visit.retries.pop();
  }

  /** Close what still runs in the threads `thread` started (its branches, iterations). */
  closeInside(thread, t) {
    const prefix = `${thread}/`;
    for (const [th, v] of [...this.open]) {
      if (th.startsWith(prefix)) {
        this.close(v, v.status === 'failed' ? 'failed' : 'aborted', t);
        this.open.delete(th);
      }
    }
  }

  /** The visits that ran inside `visit` (a Map's iterations, a Parallel's branches). */
  insideOf(visit) {
    const prefix = visit.thread ? `${visit.thread}/` : '/';
    return this.visits.filter((v) => {
      if (!v.thread.startsWith(prefix)) return false;
      const start = Number(v.thread.slice(prefix.length).split('/')[0].split('.')[0]);
      return this.runs.get(start) === visit;
    });
  }

  /** Why `visit` failed: its own error, else (a Map or Parallel) the first failure of a
   *  state inside it, with where that was: {error, cause, from: visit}; null if unknown. */
  failureOf(visit) {
    const own = visit.failure;
    if (own && (own.error || own.cause)) return { error: own.error, cause: own.cause, from: null };
    if (visit.type === 'Map' || visit.type === 'Parallel') {
      for (const inner of this.insideOf(visit)) {
        if (inner.status !== 'failed' && inner.status !== 'caught') continue;
        const found = this.failureOf(inner);
        if (found) return { ...found, from: found.from || inner };
      }
    }
    return null;
  }

  /** {name: status} over every visit: per thread its latest visit, across threads the
   *  most telling. With `thread` (a Map iteration or a Parallel branch), the states in
   *  `inside` show their status in that thread only. */
  statuses(thread, inside) {
    if (!this.cache) this.cache = this.summarise(this.visits);
    if (!thread) return this.cache;
    const own = {};
    for (const name of inside || []) own[name] = NOT_STARTED;
    const mine = this.visits.filter((v) => v.thread === thread || v.thread.startsWith(`${thread}/`));
    return { ...this.cache, ...own, ...this.summarise(mine) };
  }

  summarise(visits) {
    const latest = new Map(); // name \0 thread -> visit
    for (const v of visits) latest.set(`${v.name}\u0000${v.thread}`, v);
    const out = {};
    for (const v of latest.values()) {
      if (!out[v.name] || RANK[v.status] > RANK[out[v.name]]) out[v.name] = v.status;
    }
    return out;
  }

  /** Visits of `name` (oldest first). */
  visitsOf(name) {
    return this.visitsByName.get(name) || [];
  }

  /** The index in `visits` of the one to open first: the latest whose status is the
   *  state's status on the graph (the failed visit of a Map, the latest of a loop). */
  relevantVisit(visits, status) {
    for (let i = visits.length - 1; i >= 0; i -= 1) {
      if (visits[i].status === status) return i;
    }
    return visits.length - 1;
  }

  /** The variables in scope when `visit` began: every assignment before it in its thread
   *  and the threads it descends from. */
  variablesAt(visit) {
    const vars = {};
    for (const v of this.visits) {
      if (v.enteredId >= visit.enteredId) break;
      if (!v.assigned) continue;
      if (v.thread === visit.thread || visit.thread.startsWith(`${v.thread}/`)) {
        for (const [k, value] of Object.entries(v.assigned)) {
          try { vars[k] = JSON.parse(value); } catch { vars[k] = value; }
        }
      }
    }
    return vars;
  }
}

/** A thread as words: "" -> "", "/7.1/12.2" -> "branch 2 › iteration 2". */
export function describeThread(thread, model) {
  if (!thread) return '';
  const parts = [];
  for (const piece of thread.split('/').slice(1)) {
    const [startId, index] = piece.split('.');
    const started = model.byId.get(Number(startId));
    const isMap = started && started.type.startsWith('Map');
    const owner = model.runs.get(Number(startId));
    parts.push(isMap ? `${owner ? `${owner.name} ` : ''}iteration ${index}`
      : `${owner ? `${owner.name} ` : ''}branch ${Number(index) + 1}`);
  }
  return parts.join(' › ');
}
