// An execution, live: status, times, input and output; the graph coloured by each
// state's status as the feed delivers events (no polling); a state's inspection
// (input/output, the processing stages, variables, retries, duration); a table and
// timeline of every state visit; every history event (filterable, virtualised); Map
// iterations; Distributed Map runs; Stop and Redrive.
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import { call, follow, TERMINAL } from '../api.js';
import { ErrorBox, StatusBadge, Tabs, useAsync } from '../components/common.jsx';
import { Graph } from '../components/Graph.jsx';
import { ExecutionModel } from '../exec/model.js';
import { statesInside, statesOf } from '../exec/definition.js';
import { retryRules } from '../exec/status.js';
import { EventsView } from './execution/EventsView.jsx';
import { TableView } from './execution/TableView.jsx';
import { StatePanel } from './execution/StatePanel.jsx';
import { MapRuns } from './execution/MapRuns.jsx';
import { Link, machinePath } from '../router.js';
import { formatDate, formatDuration, pretty } from '../util.js';

const REDRIVABLE = new Set(['FAILED', 'ABORTED', 'TIMED_OUT']);

/** Follow the feed into an ExecutionModel; re-render at most once per frame. `rules`
 *  (the definition's Retry rules) is null until the definition is known: the feed
 *  starts then, so that every event is read with them. */
function useLiveModel(arn, onTerminal, rules) {
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
    stop.current = follow(arn, {
      after,
      onEvents: (events) => {
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
    if (!rules) return undefined;
    model.current = new ExecutionModel(rules);
    start(0);
    return () => stop.current && stop.current();
  }, [arn, rules]);

  const resume = () => {
    const events = model.current.events;
    start(events.length ? events[events.length - 1].id : 0);
  };
  return { model: model.current, version, ended, feedError, resume };
}

export function ExecutionPage({ params }) {
  const arn = params[0];
  const described = useAsync(() => call('DescribeExecution', { executionArn: arn }), [arn]);
  const execution = described.data;
  const machine = useAsync(() => call('DescribeStateMachineForExecution', { executionArn: arn }), [arn]);
  const [tab, setTab] = useState('graph');
  const [selected, setSelected] = useState(null);
  const [iteration, setIteration] = useState(null); // {map, thread, index}
  const definition = useMemo(() => {
    try { return JSON.parse(machine.data?.definition || '{}'); } catch { return {}; }
  }, [machine.data]);
  // Known once the machine is read (or could not be: no rules then).
  const rules = useMemo(() => (machine.data || machine.error ? retryRules(definition) : null),
    [definition, machine.error]);
  const { model, version, ended, feedError, resume } = useLiveModel(arn, described.reload, rules);
  const states = useMemo(() => statesOf(definition), [definition]);

  // Report when the whole history is on the page (the benchmark reads this).
  useLayoutEffect(() => {
    if (ended && model) {
      window.__stepfnExecutionTiming = { events: model.events.length, ms: performance.now() };
    }
  }, [ended, version]);

  if (described.error) return <main class="page"><h1>Execution</h1><ErrorBox error={described.error} /></main>;
  if (!execution || !model) return <main class="page"><p class="muted">Loading…</p></main>;

  const inside = iteration ? statesInside(states, iteration.map) : null;
  const statuses = model.statuses(iteration?.thread, inside);
  const last = model.events.length ? model.events[model.events.length - 1].timestamp : null;
  const stopDate = execution.stopDate ?? (TERMINAL.has(model.events[model.events.length - 1]?.type) ? last : null);
  const hasMapRuns = [...states.values()].some((s) => s.state.Type === 'Map');
  return (
    <main class="page" data-execution-status={execution.status} data-events={model.events.length}>
      <div class="page-head">
        <div>
          <p class="crumbs"><Link href="/">State machines</Link> / {machine.data && <Link href={machinePath(execution.stateMachineArn)}>{machine.data.name}</Link>} /</p>
          <h1>{execution.name} <StatusBadge status={execution.status} /></h1>
        </div>
        <Actions execution={execution} onChanged={() => { described.reload(); }} onRedriven={() => { described.reload(); resume(); }} />
      </div>
      <dl class="facts">
        <div><dt>Started</dt><dd>{formatDate(execution.startDate)}</dd></div>
        <div><dt>Ended</dt><dd>{formatDate(stopDate) || '–'}</dd></div>
        <div><dt>Duration</dt><dd>{formatDuration((stopDate ?? Date.now() / 1000) - execution.startDate)}</dd></div>
        <div><dt>Events</dt><dd data-count="events">{model.events.length}</dd></div>
        {execution.redriveCount > 0 && <div><dt>Redrives</dt><dd>{execution.redriveCount}</dd></div>}
        <div><dt>ARN</dt><dd class="mono">{execution.executionArn}</dd></div>
      </dl>
      {execution.error && <p class="error" data-error={execution.error}><b>{execution.error}</b>{execution.cause ? `: ${execution.cause}` : ''}</p>}
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
              onSelect={setSelected} />}
            <ErrorBox error={machine.error} />
          </div>
          <StatePanel key={selected} name={selected} states={states} model={model} version={version}
            execution={execution} definition={definition} iteration={iteration} onIteration={setIteration} />
        </div>
      )}
      {tab === 'table' && <TableView model={model} version={version}
        onOpen={(name) => { setSelected(name); setTab('graph'); }} />}
      {tab === 'events' && <EventsView model={model} version={version} />}
      {tab === 'io' && (
        <div class="two-columns">
          <section class="panel"><h2>Input</h2><pre class="json" id="execution-input">{pretty(execution.input)}</pre></section>
          <section class="panel"><h2>Output</h2>
            {execution.output !== undefined
              ? <pre class="json" id="execution-output">{pretty(execution.output)}</pre>
              : <p class="muted">{execution.status === 'RUNNING' ? 'Not finished yet.' : 'No output.'}</p>}
          </section>
        </div>
      )}
      {tab === 'mapruns' && <MapRuns execution={execution} />}
    </main>
  );
}

function Actions({ execution, onChanged, onRedriven }) {
  const [confirming, setConfirming] = useState(false);
  const [problem, setProblem] = useState(null);
  const [busy, setBusy] = useState(false);
  const act = async (operation, request, then) => {
    setBusy(true);
    setProblem(null);
    try {
      await call(operation, request);
      then();
    } catch (e) {
      setProblem(e);
    } finally {
      setBusy(false);
      setConfirming(false);
    }
  };
  const running = execution.status === 'RUNNING';
  const redrivable = REDRIVABLE.has(execution.status) && execution.redriveStatus !== 'NOT_REDRIVABLE';
  return (
    <div>
      <div class="buttons">
        {running && !confirming && <button type="button" class="danger" data-action="stop" onClick={() => setConfirming(true)}>Stop execution</button>}
        {confirming && (
          <span class="confirm">Stop this execution?
            <button type="button" class="danger" data-action="confirm-stop" disabled={busy}
              onClick={() => act('StopExecution', { executionArn: execution.executionArn }, onChanged)}>Stop</button>
            <button type="button" onClick={() => setConfirming(false)}>Cancel</button>
          </span>
        )}
        <button type="button" data-action="redrive" disabled={!redrivable || busy}
          title={redrivable ? 'Run again from the states that failed' : execution.redriveStatusReason || 'Not redrivable'}
          onClick={() => act('RedriveExecution', { executionArn: execution.executionArn }, onRedriven)}>Redrive</button>
      </div>
      <ErrorBox error={problem} />
    </div>
  );
}
