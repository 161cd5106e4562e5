// An execution, live: status, times (ticking while it runs), input and output; the graph
// coloured by each state's status as the feed delivers events (no polling); a state's
// inspection (input/output, the processing stages, variables, retries, duration); a
// table and timeline of every state visit; every history event (filterable,
// virtualised); Map iterations; Distributed Map runs; Stop and Redrive (each confirmed).
// Express executions are read from the recent ones stepfn keeps (exec/source.js).
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import { call, isExpressExecution, TERMINAL } from '../api.js';
import { ErrorBox, LiveDuration, StatusBadge, Tabs, useAsync } from '../components/common.jsx';
import { ConfirmButton } from '../components/ConfirmButton.jsx';
import { ErrorDetails } from '../components/ErrorDetails.jsx';
import { Graph } from '../components/Graph.jsx';
import { ExecutionModel } from '../exec/model.js';
import { statesInside, statesOf } from '../exec/definition.js';
import { describe, followEvents, machineOf } from '../exec/source.js';
import { retryRules } from '../exec/status.js';
import { EventsView } from './execution/EventsView.jsx';
import { TableView } from './execution/TableView.jsx';
import { StatePanel } from './execution/StatePanel.jsx';
import { MapRuns } from './execution/MapRuns.jsx';
import { Link, machinePath } from '../router.js';
import { formatDate, pretty } from '../util.js';

const REDRIVABLE = new Set(['FAILED', 'ABORTED', 'TIMED_OUT']);

/** Follow the execution's events into an ExecutionModel; re-render at most once per
 *  frame. `definition` is null until the machine is known: the feed starts then, so
 *  that every event is read with the definition's Retry rules and states. */
function useLiveModel(arn, onTerminal, definition) {
  const model = useRef(null);
  const [version, setVersion] = useState(0);
  const [feedError, setFeedError] = useState(null);
  const [ended, setEnded] = useState(false);
  const stop = useRef(null);
  const terminal = useRef(onTerminal);
  terminal.current = onTerminal;

  const start = (after) => {
    if (stop.current) stop.current();
    setEnded(false);
    let frame = 0;
    stop.current = followEvents(arn, {
      after,
      definition,
      onEvents: (events) => {
        setFeedError(null);
        model.current.addAll(events);
        if (events.some((e) => TERMINAL.has(e.type) || e.type === 'ExecutionRedriven')) terminal.current();
        if (!frame) {
          frame = requestAnimationFrame(() => { frame = 0; setVersion(model.current.version); });
        }
      },
      onEnd: () => setEnded(true),
      onError: (e) => setFeedError(e),
    });
  };

  useEffect(() => {
    if (!definition) return undefined;
    model.current = new ExecutionModel(retryRules(definition), statesOf(definition));
    start(0);
    return () => stop.current && stop.current();
  }, [arn, definition]);

  const resume = () => {
    const events = model.current.events;
    start(events.length ? events[events.length - 1].id : 0);
  };
  return { model: model.current, version, ended, feedError, resume };
}

export function ExecutionPage({ params }) {
  const arn = params[0];
  const express = isExpressExecution(arn);
  const described = useAsync(() => describe(arn), [arn]);
  const execution = described.data;
  const machine = useAsync(() => machineOf(arn), [arn]);
  const [tab, setTab] = useState('graph');
  const [selected, setSelected] = useState(null);
  const [iteration, setIteration] = useState(null); // {map, thread, index}
  // Known once the machine is read (or could not be: no rules then).
  const definition = useMemo(() => {
    if (!machine.data && !machine.error) return null;
    try { return JSON.parse(machine.data?.definition || '{}'); } catch { return {}; }
  }, [machine.data, machine.error]);
  const { model, version, ended, feedError, resume } = useLiveModel(arn, described.reload, definition);
  const states = useMemo(() => statesOf(definition || {}), [definition]);

  // Report when the whole history is on the page (the benchmark reads this).
  useLayoutEffect(() => {
    if (ended && model) {
      window.__stepfnExecutionTiming = { events: model.events.length, ms: performance.now() };
    }
  }, [ended, version]);

  if (described.error) {
    return <main class="page"><h1>Execution</h1><ErrorBox error={described.error} />
      <p><Link href="/">Back to the state machines</Link></p></main>;
  }
  if (!execution || !model) return <main class="page"><p class="muted">Loading…</p></main>;

  const inside = iteration ? statesInside(states, iteration.map) : null;
  const statuses = model.statuses(iteration?.thread, inside);
  const lastEvent = model.events[model.events.length - 1];
  const stopDate = execution.stopDate ?? (lastEvent && TERMINAL.has(lastEvent.type) ? lastEvent.timestamp : null);
  const hasMapRuns = !express && [...states.values()].some((s) => s.state.Type === 'Map');
  const status = execution.status === 'RUNNING' && lastEvent && TERMINAL.has(lastEvent.type)
    ? terminalStatus(lastEvent.type) : execution.status;
  const endDetails = model.ended && Object.entries(model.ended).find(([k]) => k.endsWith('EventDetails'))?.[1];
  const error = execution.error ?? endDetails?.error;
  const cause = execution.cause ?? endDetails?.cause;
  return (
    <main class="page" data-execution-status={status} data-events={model.events.length}>
      <div class="page-head">
        <div>
          <p class="crumbs"><Link href="/">State machines</Link> / {machine.data && <Link href={machinePath(execution.stateMachineArn)}>{machine.data.name}</Link>} /</p>
          <h1>{execution.name} <StatusBadge status={status} /></h1>
        </div>
        {!express && <Actions execution={execution} onChanged={() => { described.reload(); }} onRedriven={() => { described.reload(); resume(); }} />}
      </div>
      <dl class="facts">
        <div><dt>Type</dt><dd>{express ? 'Express' : 'Standard'}</dd></div>
        <div><dt>Started</dt><dd>{formatDate(execution.startDate)}</dd></div>
        <div><dt>Ended</dt><dd>{formatDate(stopDate) || '–'}</dd></div>
        <div><dt>Duration</dt><dd><LiveDuration start={execution.startDate} end={stopDate} data-duration="execution" /></dd></div>
        <div><dt>Events</dt><dd data-count="events">{model.events.length}</dd></div>
        {execution.redriveCount > 0 && <div><dt>Redrives</dt><dd>{execution.redriveCount}</dd></div>}
        <div><dt>ARN</dt><dd class="mono">{execution.executionArn}</dd></div>
      </dl>
      {(error || cause) && <ErrorDetails error={error} cause={cause} id="execution-error" />}
      {feedError && <ErrorBox error={feedError} />}
      <Tabs value={tab} onChange={setTab} tabs={[['graph', 'Graph view'], ['table', 'Table view'],
        ['events', `Events (${model.events.length})`], ['io', 'Execution input and output'],
        ...(hasMapRuns ? [['mapruns', 'Map runs']] : [])]} />
      {tab === 'graph' && (
        <div class="exec-layout">
          <div>
            {iteration && (
              <p class="notice" data-iteration={iteration.index}>Showing {iteration.map} iteration {iteration.index}.
                {' '}<button type="button" onClick={() => setIteration(null)}>Show all iterations</button></p>
            )}
            {machine.data && <Graph definition={definition} statuses={statuses} selected={selected}
              onSelect={setSelected} label="Execution graph" />}
            <ErrorBox error={machine.error} />
          </div>
          <StatePanel key={selected} name={selected} states={states} model={model} version={version}
            execution={execution} status={selected ? statuses[selected] : null} iteration={iteration}
            onIteration={setIteration} onSelect={setSelected} />
        </div>
      )}
      {tab === 'table' && <TableView model={model} version={version} running={status === 'RUNNING'}
        onOpen={(name) => { setSelected(name); setTab('graph'); }} />}
      {tab === 'events' && <EventsView model={model} version={version} />}
      {tab === 'io' && (
        <div class="two-columns">
          <section class="panel"><h2>Input</h2><pre class="json" id="execution-input">{pretty(execution.input)}</pre></section>
          <section class="panel"><h2>Output</h2>
            {execution.output !== undefined
              ? <pre class="json" id="execution-output">{pretty(execution.output)}</pre>
              : <p class="muted">{status === 'RUNNING' ? 'Not finished yet.' : 'No output.'}</p>}
          </section>
        </div>
      )}
      {tab === 'mapruns' && <MapRuns execution={execution} />}
    </main>
  );
}

function terminalStatus(type) {
  return { ExecutionSucceeded: 'SUCCEEDED', ExecutionFailed: 'FAILED', ExecutionTimedOut: 'TIMED_OUT',
    ExecutionAborted: 'ABORTED' }[type];
}

function Actions({ execution, onChanged, onRedriven }) {
  const running = execution.status === 'RUNNING';
  const redrivable = REDRIVABLE.has(execution.status) && execution.redriveStatus !== 'NOT_REDRIVABLE';
  return (
    <div class="buttons">
      {running && <ConfirmButton label="Stop execution" question="Stop this execution? Its running states are aborted."
        confirmLabel="Stop" action={() => call('StopExecution', { executionArn: execution.executionArn })} onDone={onChanged} />}
      {!running && <ConfirmButton label="Redrive" danger={false} disabled={!redrivable}
        title={redrivable ? 'Run again from the states that failed' : execution.redriveStatusReason || 'This execution cannot be redriven'}
        question="Redrive this execution? It runs again from the states that did not succeed."
        confirmLabel="Redrive" action={() => call('RedriveExecution', { executionArn: execution.executionArn })} onDone={onRedriven} />}
    </div>
  );
}
