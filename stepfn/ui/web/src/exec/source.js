// Where an execution's page reads it from. A Standard execution: DescribeExecution and
// the live feed (server-sent events). An Express execution (AWS keeps no history of
// those, so DescribeExecution refuses them): the recent Express executions stepfn keeps,
// described through its own route (`/stepfn/v1/express-executions/describe`) and
// followed through the same feed; a server whose feed does not stream it is read through
// `/stepfn/v1/express-executions/history` every second while it runs.
import { call, follow, isExpressExecution, stepfnGet, TERMINAL } from '../api.js';

const EXPRESS_POLL_MS = 1000;

/** The execution's description (the DescribeExecution shape). */
export async function describe(arn) {
  if (!isExpressExecution(arn)) return call('DescribeExecution', { executionArn: arn });
  // Just started from this page: the server may record it a moment after answering.
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await stepfnGet('express-executions/describe', { executionArn: arn });
    } catch (e) {
      if (attempt >= 5 || e.status !== 404) throw e;
      await new Promise((r) => setTimeout(r, 300));
    }
  }
}

/** The machine the execution ran (the DescribeStateMachine shape, with its definition). */
export async function machineOf(arn, described) {
  if (!isExpressExecution(arn)) return call('DescribeStateMachineForExecution', { executionArn: arn });
  const machineArn = described?.stateMachineArn
    || (await describe(arn)).stateMachineArn;
  return call('DescribeStateMachine', { stateMachineArn: machineArn });
}

/**
 * Follow the execution's events: `onEvents(list)` in order, `onEnd()` after its
 * terminal event, `onError(e)`. Returns a function that stops. `after`: the last event
 * id already had. `definition`: to place an event without a `thread` (see withThreads).
 */
export function followEvents(arn, options) {
  if (!isExpressExecution(arn)) return follow(arn, options);
  let got = false;
  let stop = follow(arn, {
    ...options,
    onEvents: (events) => { got = true; options.onEvents(events); },
    onError: (e) => {
      if (!got && e.status === 404) stop = pollHistory(arn, options); // no feed for it here
      else if (options.onError) options.onError(e);
    },
  });
  return () => stop();
}

/** Read an Express execution's history route every second until it has ended. */
function pollHistory(arn, { onEvents, onEnd, onError, after = 0, definition }) {
  let stopped = false;
  let last = after;
  let timer = null;
  const threads = threadAssigner(definition);
  const poll = async () => {
    try {
      const { events = [] } = await stepfnGet('express-executions/history', { executionArn: arn });
      if (stopped) return;
      const fresh = events.filter((e) => e.id > last).map(threads);
      if (fresh.length) {
        last = fresh[fresh.length - 1].id;
        onEvents(fresh);
      }
      if (events.length && TERMINAL.has(events[events.length - 1].type)) {
        if (onEnd) onEnd();
        return;
      }
    } catch (e) {
      if (stopped) return;
      if (onError) onError(e);
      if (e.status >= 400 && e.status < 500) return;
    }
    timer = setTimeout(poll, EXPRESS_POLL_MS);
  };
  poll();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}

/**
 * A function giving each event its `thread` (as the feed does: "" at the top level,
 * "<parent>/<startedEventId>.<index>" in a Parallel branch or Map iteration) when the
 * server sent none, from the events' previousEventId chain: a branch's first event
 * follows its ParallelStateStarted (the branch is the one of the definition holding
 * the state), an iteration's events follow its MapIterationStarted.
 */
export function threadAssigner(definition) {
  const branchOf = new Map(); // state name -> branch index in its Parallel
  const walk = (scope) => {
    for (const state of Object.values(scope?.States || {})) {
      if (!state || typeof state !== 'object') continue;
      (state.Branches || []).forEach((b, i) => {
        for (const name of Object.keys(b?.States || {})) branchOf.set(name, i);
        walk(b);
      });
      walk(state.ItemProcessor || state.Iterator);
    }
  };
  walk(definition);
  const byId = new Map();
  const mapRuns = []; // [MapStateStarted event, its thread]
  const iterations = new Map(); // `${name}\0${index}` -> thread
  // Entered Map and Parallel states: their own later events (Started, Failed, Exited...)
  // may chain to an event inside them, yet belong to the thread they run in.
  const owners = []; // {type, thread, open}
  return (event) => {
    if (typeof event.thread === 'string') {
      byId.set(event.id, event);
      return event;
    }
    const prev = byId.get(event.previousEventId);
    const kind = event.type;
    const d = event.mapIterationStartedEventDetails || event.mapIterationSucceededEventDetails
      || event.mapIterationFailedEventDetails || event.mapIterationAbortedEventDetails;
    let thread = prev ? prev.thread : '';
    const own = /^(Map|Parallel)State(Started|Succeeded|Failed|Aborted|Exited)$/.exec(kind);
    if (kind.startsWith('Execution')) {
      thread = '';
    } else if (own) {
      const owner = [...owners].reverse().find((o) => o.open && o.type === own[1] &&
        (thread === o.thread || thread.startsWith(`${o.thread}/`)));
      if (owner) {
        thread = owner.thread;
        if (own[2] === 'Exited' || own[2] === 'Aborted') owner.open = false;
      }
    } else if (kind === 'MapIterationStarted' && d) {
      const run = mapRuns[mapRuns.length - 1];
      thread = run ? `${run[1]}/${run[0].id}.${d.index}` : `/${event.previousEventId}.${d.index}`;
      iterations.set(`${d.name}\u0000${d.index}`, thread);
    } else if (kind.startsWith('MapIteration') && d) {
      thread = iterations.get(`${d.name}\u0000${d.index}`) ?? thread;
    } else if (kind.endsWith('StateEntered') && prev) {
      if (prev.type === 'ParallelStateStarted') {
        const name = event.stateEnteredEventDetails?.name;
        thread = `${prev.thread}/${prev.id}.${branchOf.get(name) ?? 0}`;
      }
    }
    const placed = { ...event, thread };
    if (kind === 'MapStateStarted') mapRuns.push([placed, thread]);
    if (kind === 'MapStateEntered' || kind === 'ParallelStateEntered') {
      owners.push({ type: kind.slice(0, kind.indexOf('State')), thread, open: true });
    }
    byId.set(event.id, placed);
    return placed;
  };
}
