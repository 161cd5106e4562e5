// The list of state machines: name, type, creation date and recent executions by status.
import { call, callAll, stepfnGet } from '../api.js';
import { errorSentence } from '../errors.js';
import { ErrorBox, StatusBadge, useAsync } from '../components/common.jsx';
import { Link, machinePath } from '../router.js';
import { formatDate } from '../util.js';

const RECENT = 100; // executions counted per machine

/** An Express machine's executions are the recent ones stepfn keeps (AWS keeps none:
 *  ListExecutions refuses Express machines). */
export function recentExecutions(arn, type, maxResults) {
  return type === 'EXPRESS'
    ? stepfnGet('express-executions', { stateMachineArn: arn, maxResults })
    : call('ListExecutions', { stateMachineArn: arn, maxResults });
}

function RecentCounts({ arn, type }) {
  const { data, error } = useAsync(() => recentExecutions(arn, type, RECENT), [arn, type]);
  if (error) return <span class="muted" title={errorSentence(error)}>not available</span>;
  if (!data) return <span class="muted">…</span>;
  const counts = {};
  for (const e of data.executions || []) counts[e.status] = (counts[e.status] || 0) + 1;
  const entries = Object.entries(counts);
  if (!entries.length) return <span class="muted">none{type === 'EXPRESS' ? ' recently' : ''}</span>;
  return (
    <span class="counts">
      {entries.map(([status, n]) => <span data-count={status}><StatusBadge status={status} /> {n}</span>)}
    </span>
  );
}

export function MachinesList() {
  const { data, error, loading, reload } = useAsync(
    () => callAll('ListStateMachines', { maxResults: 1000 }, 'stateMachines'), []);
  return (
    <main class="page">
      <div class="page-head">
        <h1>State machines</h1>
        <div class="buttons">
          <button type="button" onClick={reload}>Refresh</button>
          <Link href="/editor" class="button primary">Create</Link>
        </div>
      </div>
      <ErrorBox error={error} />
      {data && !data.length && <p class="muted">No state machines yet. Create one in Workflow Studio, or with <code>aws stepfunctions create-state-machine</code>.</p>}
      {data && data.length > 0 && (
        <table class="table" id="machines">
          <thead><tr><th>Name</th><th>Type</th><th>Created</th><th>Recent executions</th></tr></thead>
          <tbody>
            {data.map((m) => (
              <tr data-machine={m.name}>
                <td><Link href={machinePath(m.stateMachineArn)}>{m.name}</Link></td>
                <td>{m.type === 'EXPRESS' ? 'Express' : 'Standard'}</td>
                <td>{formatDate(m.creationDate)}</td>
                <td><RecentCounts arn={m.stateMachineArn} type={m.type} /></td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {loading && !data && <p class="muted">Loading…</p>}
    </main>
  );
}
