// What the execution page shows, built incrementally from the history events as the
// feed delivers them: each state's visits (input, output, task result, retries,
// variables assigned, duration), Map iterations, and the per-state statuses.
import { StatusTracker, TASK_FAILURES, takesRetry } from './status.js';

const FAILURE = /(Failed|TimedOut)$/;
const TASK_FAILURE = /^(Task|LambdaFunction|Activity)(Failed|TimedOut|StartFailed|ScheduleFailed|SubmitFailed)$/;

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
  /** `rules`: the definition's Retry rules by state name (status.js `retryRules`). */
  constructor(rules = new Map()) {
    this.rules = rules;
    this.events = [];
    this.byId = new Map();
    this.tracker = new StatusTracker(rules);
    this.visits = []; // every visit in the order entered
    this.visitsByName = new Map();
    this.open = new Map(); // thread -> its open visit
    this.iterations = new Map(); // Map state name -> Map(index -> iteration)
    this.eventVisit = new Map(); // event id -> visit (the state it belongs to)
    this.start = null;
    this.end = null;
    this.version = 0;
  }

  /** Take events in order (duplicates are ignored). */
  addAll(events) {
    for (const e of events) {
      if (this.byId.has(e.id)) continue;
      this.add(e);
    }
    this.version += 1;
  }

  add(event) {
    this.events.push(event);
    this.byId.set(event.id, event);
    this.tracker.add(event);
    const t = event.timestamp;
    if (this.start === null) this.start = t;
    this.end = t;
    const kind = event.type;
    const thread = event.thread || '';
    const d = detailsOf(event);
    if (kind.endsWith('StateEntered')) {
      const visit = {
        name: d.name, type: typeOf(kind), thread, enteredId: event.id, start: t, end: null,
        input: d.input, output: undefined, status: 'running', retries: [], result: undefined,
        scheduled: undefined, assigned: undefined, failure: null, eventIds: [event.id],
        used: (this.rules.get(d.name) || []).map(() => 0), // retries used per rule
      };
      this.visits.push(visit);
      if (!this.visitsByName.has(d.name)) this.visitsByName.set(d.name, []);
      this.visitsByName.get(d.name).push(visit);
      this.open.set(thread, visit);
      this.eventVisit.set(event.id, visit);
      return;
    }
    if (kind.startsWith('MapIteration')) {
      const table = this.iterations.get(d.name) || new Map();
      this.iterations.set(d.name, table);
      const it = table.get(d.index) || { index: d.index, thread, status: 'running', start: t, end: null };
      if (kind.endsWith('Succeeded')) it.status = 'succeeded';
      else if (kind.endsWith('Failed')) it.status = 'failed';
      else if (kind.endsWith('Aborted')) it.status = 'aborted';
      if (!kind.endsWith('Started')) it.end = t;
      table.set(d.index, it);
      const inner = this.open.get(thread);
      if (inner && (kind.endsWith('Failed') || kind.endsWith('Aborted'))) {
        // An iteration fails through its open state (a Fail state, or an error).
        this.close(inner, kind.endsWith('Failed') || inner.failure ? 'failed' : 'aborted', t);
        this.open.delete(thread);
      }
      return;
    }
    const visit = this.open.get(thread);
    if (kind.startsWith('Execution') && kind !== 'ExecutionStarted' && kind !== 'ExecutionRedriven') {
      for (const [th, v] of this.open) {
        const failedIt = v.failure || (kind === 'ExecutionFailed' && th === '');
        this.close(v, failedIt ? 'failed' : 'aborted', t);
      }
      this.open.clear();
      return;
    }
    if (!visit) return;
    visit.eventIds.push(event.id);
    this.eventVisit.set(event.id, visit);
    if (kind.endsWith('StateExited')) {
      visit.output = d.output;
      visit.assigned = d.assignedVariables;
      this.close(visit, visit.failure ? 'caught' : 'succeeded', t);
      this.open.delete(thread);
      this.closeInside(thread, t);
    } else if (kind.endsWith('Scheduled')) {
      visit.scheduled = d;
      if (visit.failure) {
        const last = visit.retries[visit.retries.length - 1];
        if (last) last.retriedAt = t;
        visit.failure = null;
        visit.status = 'retrying';
      }
    } else if (kind.endsWith('Succeeded') && !kind.startsWith('MapIteration')) {
      if (d.output !== undefined) visit.result = d.output;
      if (visit.status === 'retrying') visit.status = 'running';
    } else if (TASK_FAILURE.test(kind) || (FAILURE.test(kind) && !kind.startsWith('MapIteration'))) {
      visit.failure = { error: d.error, cause: d.cause, at: t, event: kind };
      visit.retries.push({ error: d.error, cause: d.cause, at: t, retriedAt: null });
      // Taken by a retrier: the back-off has begun.
      visit.status = TASK_FAILURES.has(kind) && takesRetry(this.rules.get(visit.name), visit.used, event)
        ? 'retrying' : 'failed';
    } else if (kind.endsWith('Aborted') && !kind.startsWith('MapIteration')) {
      this.close(visit, 'aborted', t);
      this.open.delete(thread);
    }
  }

  close(visit, status, t) {
    if (visit.end === null) visit.end = t;
    visit.status = status;
    // The last failure was not retried: it is the state's error, not a retry.
    const last = visit.retries[visit.retries.length - 1];
    if (last && last.retriedAt === null) visit.retries.pop();
  }

  closeInside(thread, t) {
    const prefix = `${thread}/`;
    for (const [th, v] of [...this.open]) {
      if (th.startsWith(prefix)) {
        this.close(v, v.failure ? 'failed' : 'aborted', t);
        this.open.delete(th);
      }
    }
  }

  /** {stateName: status} for the graph. With `thread` (a Map iteration or a Parallel
   *  branch), the states in `inside` show their status in that thread only. */
  statuses(thread, inside) {
    const all = this.tracker.statuses();
    if (!thread) return all;
    const own = {};
    for (const name of inside || []) own[name] = 'not-started';
    for (const v of this.visits) {
      if (v.thread === thread || v.thread.startsWith(`${thread}/`)) own[v.name] = v.status;
    }
    return { ...all, ...own };
  }

  /** Visits of `name` (oldest first). */
  visitsOf(name) {
    return this.visitsByName.get(name) || [];
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
  let prefix = '';
  for (const piece of thread.split('/').slice(1)) {
    const [startId, index] = piece.split('.');
    const started = model.byId.get(Number(startId));
    const isMap = started && started.type.startsWith('Map');
    parts.push(isMap ? `iteration ${index}` : `branch ${Number(index) + 1}`);
    prefix += `/${piece}`;
  }
  return parts.join(' › ');
}
