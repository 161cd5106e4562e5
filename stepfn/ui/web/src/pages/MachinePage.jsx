// A state machine (or one of its versions): graph, definition, executions (filtered by
// status, paged; for an Express machine the recent ones stepfn keeps), versions and
// aliases, a form to start an execution (an Express one can wait for its result), and
// Delete (confirmed).
import { useState } from 'preact/hooks';
import { call, callAll } from '../api.js';
import { CodeView } from '../components/CodeView.jsx';
import { ConfirmButton } from '../components/ConfirmButton.jsx';
import { ErrorBox, StatusBadge, Tabs, useAsync } from '../components/common.jsx';
import { ErrorDetails } from '../components/ErrorDetails.jsx';
import { Graph } from '../components/Graph.jsx';
import { Link, executionPath, machinePath, navigate } from '../router.js';
import { formatDate, formatDuration, pretty } from '../util.js';
import { recentExecutions } from './MachinesList.jsx';

const STATUSES = ['', 'RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED', 'PENDING_REDRIVE'];
const PAGE = 20;

/** The version number at the end of a version ARN, or null for a machine ARN. */
function versionOf(arn) {
  const last = arn.split(':').pop();
  return /^\d+$/.test(last) ? last : null;
}

export function MachinePage({ params }) {
  const arn = params[0];
  const { data: machine, error } = useAsync(() => call('DescribeStateMachine', { stateMachineArn: arn }), [arn]);
  const [tab, setTab] = useState('graph');
  const [starting, setStarting] = useState(false);
  const [started, setStarted] = useState(0); // executions started here (the list reloads)
  const version = versionOf(arn);
  if (error) return <main class="page"><h1>State machine</h1><ErrorBox error={error} /></main>;
  if (!machine) return <main class="page"><p class="muted">Loading…</p></main>;
  const baseArn = version ? arn.slice(0, arn.lastIndexOf(':')) : arn;
  return (
    <main class="page">
      <div class="page-head">
        <div>
          <p class="crumbs"><Link href="/">State machines</Link> /</p>
          <h1 data-machine-name={machine.name}>{machine.name}{version && <span class="muted"> version {version}</span>}</h1>
        </div>
        <div class="buttons">
          {!version && <ConfirmButton label="Delete" name="delete-machine" question={`Delete ${machine.name}? Its running executions are stopped.`}
            confirmLabel="Delete" action={() => call('DeleteStateMachine', { stateMachineArn: arn })} onDone={() => navigate('/')} />}
          <Link href={`/editor/${encodeURIComponent(baseArn)}`} class="button">Edit</Link>
          <button type="button" class="primary" data-action="start" onClick={() => setStarting(true)}>Start execution</button>
        </div>
      </div>
      <dl class="facts">
        <div><dt>Type</dt><dd data-machine-type={machine.type}>{machine.type === 'EXPRESS' ? 'Express' : 'Standard'}</dd></div>
        <div><dt>Status</dt><dd>{machine.status}</dd></div>
        <div><dt>Created</dt><dd>{formatDate(machine.creationDate)}</dd></div>
        <div><dt>Role</dt><dd class="mono">{machine.roleArn}</dd></div>
        <div><dt>ARN</dt><dd class="mono">{arn}</dd></div>
        {machine.description && <div><dt>Description</dt><dd>{machine.description}</dd></div>}
      </dl>
      {starting && <StartForm arn={arn} express={machine.type === 'EXPRESS'} onClose={() => setStarting(false)}
        onStarted={() => setStarted((n) => n + 1)} />}
      <Tabs value={tab} onChange={setTab} tabs={[['graph', 'Graph'], ['definition', 'Definition'],
        ['versions', 'Versions and aliases']]} />
      {tab === 'graph' && <Graph definition={machine.definition} />}
      {tab === 'definition' && <CodeView value={pretty(machine.definition)} height="560px" label="Definition" />}
      {tab === 'versions' && <Versions arn={baseArn} />}
      <Executions arn={arn} type={machine.type} refresh={started} />
    </main>
  );
}

function StartForm({ arn, express, onClose, onStarted }) {
  const [input, setInput] = useState('{\n  \n}');
  const [name, setName] = useState('');
  const [wait, setWait] = useState(express);
  const [problem, setProblem] = useState(null);
  const [result, setResult] = useState(null); // StartSyncExecution's answer
  const [busy, setBusy] = useState(false);
  let parseError = null;
  try {
    JSON.parse(input);
  } catch (e) {
    parseError = e.message;
  }

  async function start(e) {
    e.preventDefault();
    if (parseError) return;
    setBusy(true);
    setProblem(null);
    setResult(null);
    try {
      const request = { stateMachineArn: arn, input };
      if (name.trim()) request.name = name.trim();
      if (express && wait) {
        setResult(await call('StartSyncExecution', request));
        setBusy(false);
        onStarted();
        return;
      }
      const answer = await call('StartExecution', request);
      onStarted();
      navigate(executionPath(answer.executionArn));
    } catch (err) {
      setProblem(err);
      setBusy(false);
    }
  }

  return (
    <form class="panel form" id="start-form" onSubmit={start}>
      <h2>Start an execution</h2>
      <label>Name (optional) <input name="name" value={name} onInput={(e) => setName(e.target.value)} placeholder="a unique name; generated when empty" /></label>
      <p class="label" id="start-input-label">Input (JSON)</p>
      <CodeView value={input} onChange={setInput} height="160px" label="Execution input (JSON)" />
      {parseError && <p class="error" data-problem="input">Not valid JSON: {parseError}</p>}
      {express && (
        <label class="inline"><input type="checkbox" name="sync" checked={wait} onChange={(e) => setWait(e.target.checked)} />
          Wait for the result (StartSyncExecution)</label>
      )}
      <ErrorBox error={problem} />
      <div class="buttons">
        <button type="submit" class="primary" disabled={!!parseError || busy}>{busy && wait ? 'Running…' : 'Start'}</button>
        <button type="button" onClick={onClose}>Close</button>
      </div>
      {result && <SyncResult result={result} />}
    </form>
  );
}

/** StartSyncExecution's answer: its status, output or error, and its duration. */
function SyncResult({ result }) {
  return (
    <section class="sync-result" id="sync-result" data-sync-status={result.status}>
      <h3><StatusBadge status={result.status} /> {result.name}
        {result.startDate && result.stopDate && <span class="muted"> in {formatDuration(result.stopDate - result.startDate)}</span>}</h3>
      {result.output !== undefined && <pre class="json" id="sync-output">{pretty(result.output)}</pre>}
      {(result.error || result.cause) && <ErrorDetails error={result.error} cause={result.cause} />}
      {result.executionArn && <p><Link href={executionPath(result.executionArn)}>Open this execution</Link></p>}
    </section>
  );
}

/** The machine's executions, filtered by status, a page at a time (an Express machine:
 *  the recent executions stepfn keeps, filtered here). */
export function Executions({ arn, type, refresh = 0 }) {
  const express = type === 'EXPRESS';
  const [status, setStatus] = useState('');
  const [tokens, setTokens] = useState([undefined]); // the token of each page seen
  const page = tokens.length - 1;
  const { data, error, reload } = useAsync(async () => {
    if (express) {
      const all = (await recentExecutions(arn, type, 100)).executions || [];
      return { executions: status ? all.filter((e) => e.status === status) : all };
    }
    return call('ListExecutions', {
      stateMachineArn: arn, maxResults: PAGE,
      ...(status ? { statusFilter: status } : {}),
      ...(tokens[page] ? { nextToken: tokens[page] } : {}),
    });
  }, [arn, status, page, refresh]);
  const choose = (value) => { setStatus(value); setTokens([undefined]); };
  return (
    <section class="panel" id="executions">
      <div class="page-head">
        <h2>{express ? 'Recent executions' : 'Executions'}</h2>
        <div class="buttons">
          <label class="inline">Status <select name="status" value={status} onChange={(e) => choose(e.target.value)}>
            {STATUSES.map((s) => <option value={s}>{s ? s.replace('_', ' ').toLowerCase() : 'Any'}</option>)}
          </select></label>
          <button type="button" onClick={reload}>Refresh</button>
        </div>
      </div>
      {express && <p class="muted">AWS keeps no history of Express executions; stepfn keeps the most recent ones of this server.</p>}
      <ErrorBox error={error} />
      {data && (
        <table class="table">
          <thead><tr><th>Name</th><th>Status</th><th>Started</th><th>Ended</th></tr></thead>
          <tbody>
            {data.executions.map((e) => (
              <tr data-execution={e.name}>
                <td><Link href={executionPath(e.executionArn)}>{e.name}</Link></td>
                <td><StatusBadge status={e.status} /></td>
                <td>{formatDate(e.startDate)}</td>
                <td>{formatDate(e.stopDate)}</td>
              </tr>
            ))}
            {!data.executions.length && <tr><td colSpan={4} class="muted">No executions.</td></tr>}
          </tbody>
        </table>
      )}
      {!express && (
        <div class="pager">
          <button type="button" disabled={page === 0} onClick={() => setTokens(tokens.slice(0, -1))}>Previous</button>
          <span>Page {page + 1}</span>
          <button type="button" disabled={!data || !data.nextToken} data-action="next-page"
            onClick={() => setTokens([...tokens, data.nextToken])}>Next</button>
        </div>
      )}
    </section>
  );
}

function Versions({ arn }) {
  const versions = useAsync(() => callAll('ListStateMachineVersions', { stateMachineArn: arn }, 'stateMachineVersions'), [arn]);
  const aliases = useAsync(() => callAll('ListStateMachineAliases', { stateMachineArn: arn }, 'stateMachineAliases'), [arn]);
  return (
    <div class="two-columns">
      <section class="panel" id="versions">
        <h2>Versions</h2>
        <ErrorBox error={versions.error} />
        {versions.data && (versions.data.length ? (
          <table class="table">
            <thead><tr><th>Version</th><th>Created</th></tr></thead>
            <tbody>{versions.data.map((v) => (
              <tr><td><Link href={machinePath(v.stateMachineVersionArn)}>{versionOf(v.stateMachineVersionArn)}</Link></td>
                <td>{formatDate(v.creationDate)}</td></tr>
            ))}</tbody>
          </table>
        ) : <p class="muted">No versions published.</p>)}
      </section>
      <section class="panel" id="aliases">
        <h2>Aliases</h2>
        <ErrorBox error={aliases.error} />
        {aliases.data && (aliases.data.length ? (
          <table class="table">
            <thead><tr><th>Alias</th><th>Routing</th><th>Created</th></tr></thead>
            <tbody>{aliases.data.map((a) => <AliasRow alias={a} />)}</tbody>
          </table>
        ) : <p class="muted">No aliases.</p>)}
      </section>
    </div>
  );
}

function AliasRow({ alias }) {
  const { data } = useAsync(() => call('DescribeStateMachineAlias', { stateMachineAliasArn: alias.stateMachineAliasArn }), [alias.stateMachineAliasArn]);
  return (
    <tr>
      <td>{alias.stateMachineAliasArn.split(':').pop()}</td>
      <td>{data ? data.routingConfiguration.map((r) => `v${versionOf(r.stateMachineVersionArn)}: ${r.weight}%`).join(', ') : '…'}</td>
      <td>{formatDate(alias.creationDate)}</td>
    </tr>
  );
}
