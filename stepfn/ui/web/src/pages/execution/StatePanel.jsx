// The selected state of an execution: its input and output (and, in the advanced view,
// each stage of input/output processing), variables, retries with their errors,
// duration, its definition, and for a Map state its iterations.
import { useState } from 'preact/hooks';
import { call } from '../../api.js';
import { ErrorBox, LiveDuration, StatusBadge, Tabs, useAsync } from '../../components/common.jsx';
import { ErrorDetails } from '../../components/ErrorDetails.jsx';
import { describeThread } from '../../exec/model.js';
import { isDistributed } from '../../exec/definition.js';
import { formatDate, formatDuration, pretty } from '../../util.js';

const MOCKABLE = new Set(['Task', 'Map', 'Parallel']);

export function StatePanel({ name, states, model, version, execution, status, iteration, onIteration, onSelect }) {
  const [tab, setTab] = useState('io');
  const [pick, setPick] = useState(null);
  if (!name || !states.has(name)) {
    return <aside class="side" id="state-panel"><p class="muted">Select a state in the graph to inspect it
      (or Tab into the graph, move with the arrow keys and press Enter).</p>
      {execution.status === 'RUNNING' && <p class="muted">The graph follows the execution as it runs.</p>}</aside>;
  }
  const { state, queryLanguage } = states.get(name);
  let visits = model.visitsOf(name);
  if (iteration) visits = visits.filter((v) => v.thread === iteration.thread || v.thread.startsWith(`${iteration.thread}/`));
  // The visit that gives the state its status on the graph (the failed one, else the
  // latest), unless one was picked.
  const index = pick != null && pick < visits.length ? pick : model.relevantVisit(visits, status);
  const visit = visits[index];
  return (
    <aside class="side" id="state-panel" data-selected={name} data-version={version}
      data-visit-status={visit ? visit.status : undefined}>
      <h2>{name} <span class="muted">{state.Type}</span> {visit && <StatusBadge status={visit.status} />}</h2>
      {visit && visit.thread && <p class="muted where" data-where>In {describeThread(visit.thread, model)}</p>}
      {visits.length > 1 && (
        <label class="inline">Visit <select name="visit" value={index} onChange={(e) => setPick(Number(e.target.value))}>
          {visits.map((v, i) => <option value={i}>{i + 1}: {describeThread(v.thread, model) || 'top level'} ({v.status})</option>)}
        </select> of {visits.length}</label>
      )}
      {state.Type === 'Map' && <Iterations name={name} state={state} model={model} iteration={iteration} onIteration={onIteration} />}
      {visit && <Failure visit={visit} model={model} onSelect={onSelect} />}
      <Tabs value={tab} onChange={setTab} tabs={[['io', 'Input and output'], ['details', 'Details'], ['definition', 'Definition'], ['events', 'Events']]} />
      {!visit && tab !== 'definition' && <p class="muted" data-visit="none">Not started{iteration ? ' in this iteration' : ''}.</p>}
      {visit && tab === 'io' && <InputOutput key={visit.enteredId} visit={visit} name={name} state={state}
        queryLanguage={queryLanguage} model={model} execution={execution} />}
      {visit && tab === 'details' && <Details visit={visit} model={model} />}
      {tab === 'definition' && <pre class="json">{JSON.stringify(state, null, 2)}</pre>}
      {visit && tab === 'events' && (
        <table class="table compact"><tbody>
          {visit.eventIds.map((id) => { const e = model.byId.get(id); return <tr><td>{id}</td><td>{e.type}</td><td>{formatDate(e.timestamp)}</td></tr>; })}
        </tbody></table>
      )}
    </aside>
  );
}

/** Why the visit failed (or what it caught): its error, or for a Map or Parallel the
 *  failure inside it and where. Nothing when nothing is known (no empty box). */
function Failure({ visit, model, onSelect }) {
  if (visit.status !== 'failed' && visit.status !== 'caught' && visit.status !== 'retrying') return null;
  const found = model.failureOf(visit);
  if (!found) {
    return visit.status === 'failed' ? <p class="muted" data-failure="unknown">It failed; the history does not say why.</p> : null;
  }
  const note = [visit.status === 'caught' ? '(caught)' : visit.status === 'retrying' ? '(retrying)' : '',
    found.from ? `in ${found.from.name}${found.from.thread ? `, ${describeThread(found.from.thread, model)}` : ''}` : '']
    .filter(Boolean).join(' ');
  return (
    <div class="failure" data-failure={found.error || ''}>
      <ErrorDetails error={found.error} cause={found.cause} note={note} />
      {found.from && onSelect && <button type="button" class="link-button" data-action="open-failed"
        onClick={() => onSelect(found.from.name)}>Open {found.from.name}</button>}
    </div>
  );
}

function Json({ label, value, hint, id }) {
  return (
    <div class="stage" data-stage={id}>
      <h3>{label}{hint !== undefined && <> <code>{typeof hint === 'string' ? hint : JSON.stringify(hint)}</code></>}</h3>
      <pre class="json">{value === undefined ? '–' : pretty(value)}</pre>
    </div>
  );
}

function InputOutput({ visit, name, state, queryLanguage, model, execution }) {
  const [advanced, setAdvanced] = useState(false);
  const vars = model.variablesAt(visit);
  return (
    <div id="state-io">
      <label class="inline"><input type="checkbox" name="advanced" checked={advanced} onChange={(e) => setAdvanced(e.target.checked)} /> Advanced view (each processing stage)</label>
      {!advanced && (
        <div class="two-columns">
          <Json id="input" label="Input" value={visit.input} />
          <Json id="output" label="Output" value={visit.output} />
        </div>
      )}
      {advanced && <Stages visit={visit} name={name} state={state} queryLanguage={queryLanguage} vars={vars} model={model} execution={execution} />}
      {Object.keys(vars).length > 0 && <Json id="variables" label="Variables in scope" value={JSON.stringify(vars)} />}
      {visit.assigned && <Json id="assigned" label="Assigned (Assign)" value={JSON.stringify(Object.fromEntries(Object.entries(visit.assigned).map(([k, v]) => [k, safeParse(v)])))} />}
    </div>
  );
}

function safeParse(text) {
  try { return JSON.parse(text); } catch { return text; }
}

function isoTime(seconds) {
  return new Date(seconds * 1000).toISOString();
}

/** TestState's inspection data for this visit: the state run on its recorded input,
 *  with the recorded task result (or error) as the mock, in the variables it saw. */
async function inspect({ visit, name, state, queryLanguage, vars, execution }) {
  const own = { ...state };
  if (queryLanguage === 'JSONata' && !own.QueryLanguage) own.QueryLanguage = 'JSONata';
  if (own.Next === undefined && own.End === undefined && !['Choice', 'Succeed', 'Fail'].includes(own.Type)) own.End = true;
  const request = { definition: JSON.stringify(own), input: visit.input ?? '{}', inspectionLevel: 'DEBUG',
    roleArn: 'arn:aws:iam::123456789012:role/stepfn-ui' };
  if (Object.keys(vars).length) request.variables = JSON.stringify(vars);
  if (MOCKABLE.has(state.Type)) {
    if (visit.result !== undefined && state.Type === 'Task') request.mock = { result: visit.result, fieldValidationMode: 'NONE' };
    else if (visit.failure) request.mock = { errorOutput: { error: visit.failure.error || 'States.TaskFailed', cause: visit.failure.cause || '' } };
    else return null;
    request.context = JSON.stringify({
      Execution: { Id: execution.executionArn, Name: execution.name, StartTime: isoTime(execution.startDate), Input: safeParse(execution.input) },
      State: { Name: name, EnteredTime: isoTime(visit.start), RetryCount: visit.retries.length },
      StateMachine: { Id: execution.stateMachineArn },
    });
  }
  return call('TestState', request);
}

function Stages(props) {
  const { visit, state, queryLanguage } = props;
  const { data, error, loading } = useAsync(() => inspect(props), [visit.enteredId]);
  if (loading) return <p class="muted">Computing the stages…</p>;
  if (error) return <ErrorBox error={error} />;
  const d = data?.inspectionData || {};
  const jsonata = queryLanguage === 'JSONata';
  const stages = [['input', 'State input', visit.input]];
  if (jsonata) {
    if (state.Arguments !== undefined) stages.push(['arguments', 'After Arguments', d.afterArguments, state.Arguments]);
  } else {
    if (d.afterInputPath !== undefined) stages.push(['inputPath', 'After InputPath', d.afterInputPath, state.InputPath ?? '$']);
    if (state.Parameters !== undefined) stages.push(['parameters', 'After Parameters', d.afterParameters, state.Parameters]);
  }
  if (visit.result !== undefined || d.result !== undefined) stages.push(['result', 'Result', visit.result ?? d.result]);
  if (!jsonata && state.ResultSelector !== undefined) stages.push(['resultSelector', 'After ResultSelector', d.afterResultSelector, state.ResultSelector]);
  if (!jsonata && d.afterResultPath !== undefined) stages.push(['resultPath', 'After ResultPath', d.afterResultPath, state.ResultPath ?? '$']);
  stages.push(['output', jsonata ? 'Output' : 'After OutputPath (state output)', visit.output ?? data?.output, jsonata ? state.Output : state.OutputPath ?? '$']);
  if (state.Assign !== undefined || d.variables) stages.push(['assign', 'Variables after Assign', d.variables, state.Assign]);
  return (
    <div id="stages">
      {data === null && <p class="muted">The task did not return a result, so only its input and output are shown.</p>}
      {stages.map(([id, label, value, hint]) => <Json id={id} label={label} value={value} hint={hint} />)}
    </div>
  );
}

function Details({ visit, model }) {
  return (
    <div id="state-details">
      <dl class="facts">
        <div><dt>Status</dt><dd>{visit.status}</dd></div>
        <div><dt>Started</dt><dd>{formatDate(visit.start)}</dd></div>
        <div><dt>Ended</dt><dd>{visit.end ? formatDate(visit.end) : '–'}</dd></div>
        <div><dt>Duration</dt><dd><LiveDuration start={visit.start} end={visit.end} data-duration="state" /></dd></div>
        {visit.thread && <div><dt>Runs in</dt><dd>{describeThread(visit.thread, model)}</dd></div>}
        {visit.scheduled?.resource && <div><dt>Resource</dt><dd class="mono">{visit.scheduled.resourceType ? `${visit.scheduled.resourceType}:` : ''}{visit.scheduled.resource}</dd></div>}
      </dl>
      <h3>Retries</h3>
      {visit.retries.length ? (
        <ol class="retries" id="retries">
          {visit.retries.map((r, i) => (
            <li data-retry={i + 1}>
              <span class="muted">Attempt {i + 1} failed at {formatDate(r.at)}{r.retriedAt ? `; retried after ${formatDuration(r.retriedAt - r.at)}` : '; back-off running'}</span>
              <ErrorDetails error={r.error} cause={r.cause} />
            </li>
          ))}
        </ol>
      ) : <p class="muted">No retries.</p>}
    </div>
  );
}

function Iterations({ name, state, model, iteration, onIteration }) {
  const [index, setIndex] = useState('');
  const table = model.iterations.get(name);
  if (isDistributed(state)) {
    return <p class="muted">A Distributed Map: its iterations run as child executions (see the Map runs tab).</p>;
  }
  if (!table || !table.size) return <p class="muted">No iterations yet.</p>;
  const all = [...table.values()].sort((a, b) => a.index - b.index);
  const counts = {};
  for (const it of all) counts[it.status] = (counts[it.status] || 0) + 1;
  const choose = (it) => onIteration(it ? { map: name, thread: it.thread, index: it.index } : null);
  const list = (status, title) => {
    const items = all.filter((it) => it.status === status);
    if (!items.length) return null;
    return (
      <div class="iteration-list">
        <p>{title} ({items.length}):</p>
        <div class="iterations" data-list={status}>
          {items.slice(0, 200).map((it) => (
            <button type="button" class={`status-${status}${iteration?.thread === it.thread ? ' active' : ''}`}
              data-iteration={it.index} aria-pressed={iteration?.thread === it.thread ? 'true' : 'false'}
              onClick={() => choose(it)}>#{it.index}</button>
          ))}
          {items.length > 200 && <span class="muted">and {items.length - 200} more (pick by index)</span>}
        </div>
      </div>
    );
  };
  return (
    <div class="panel" id="iterations">
      <h3>Iterations: {all.length} ({Object.entries(counts).map(([s, n]) => `${n} ${s}`).join(', ')})</h3>
      <form class="buttons" onSubmit={(e) => { e.preventDefault(); const it = table.get(Number(index)); if (it) choose(it); }}>
        <label class="inline">Index <input name="iteration" type="number" min="0" value={index} onInput={(e) => setIndex(e.target.value)} style={{ width: '90px' }} /></label>
        <button type="submit">Show</button>
        {iteration && iteration.map === name && <button type="button" onClick={() => choose(null)}>All</button>}
      </form>
      {list('failed', 'Failed iterations')}
      {list('aborted', 'Aborted iterations (stopped when another failed)')}
      {list('running', 'Running iterations')}
    </div>
  );
}
