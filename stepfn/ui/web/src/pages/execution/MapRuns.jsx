// The Distributed Map runs of an execution (ListMapRuns / DescribeMapRun): status,
// item and child-execution counts, and the child executions.
import { call, callAll } from '../../api.js';
import { ErrorBox, StatusBadge, useAsync } from '../../components/common.jsx';
import { Link, executionPath } from '../../router.js';
import { formatDate } from '../../util.js';

const COUNTS = ['pending', 'running', 'succeeded', 'failed', 'timedOut', 'aborted', 'total'];

function MapRun({ arn }) {
  const { data, error } = useAsync(() => call('DescribeMapRun', { mapRunArn: arn }), [arn]);
  const children = useAsync(() => call('ListExecutions', { mapRunArn: arn, maxResults: 50 }), [arn]);
  if (error) return <ErrorBox error={error} />;
  if (!data) return <p class="muted">Loading…</p>;
  return (
    <section class="panel" data-map-run={arn}>
      <h2>{arn.split(':').slice(-2).join(':')} <StatusBadge status={data.status} /></h2>
      <p class="muted">Started {formatDate(data.startDate)}{data.stopDate ? `, ended ${formatDate(data.stopDate)}` : ''};
        max concurrency {data.maxConcurrency || 'unlimited'}; tolerated failures {data.toleratedFailurePercentage ?? 0}% / {data.toleratedFailureCount ?? 0}</p>
      <table class="table compact">
        <thead><tr><th /> {COUNTS.map((c) => <th>{c}</th>)}</tr></thead>
        <tbody>
          <tr data-counts="items"><th>Items</th>{COUNTS.map((c) => <td>{data.itemCounts?.[c] ?? 0}</td>)}</tr>
          <tr data-counts="executions"><th>Child executions</th>{COUNTS.map((c) => <td>{data.executionCounts?.[c] ?? 0}</td>)}</tr>
        </tbody>
      </table>
      {children.data && children.data.executions.length > 0 && (
        <details>
          <summary>Child executions ({children.data.executions.length}{children.data.nextToken ? '+' : ''})</summary>
          <table class="table compact"><tbody>
            {children.data.executions.map((e) => (
              <tr><td><Link href={executionPath(e.executionArn)}>{e.name}</Link></td><td><StatusBadge status={e.status} /></td></tr>
            ))}
          </tbody></table>
        </details>
      )}
    </section>
  );
}

export function MapRuns({ execution }) {
  const { data, error } = useAsync(() => callAll('ListMapRuns', { executionArn: execution.executionArn }, 'mapRuns'),
    [execution.executionArn, execution.status]);
  return (
    <div id="map-runs">
      <ErrorBox error={error} />
      {data && !data.length && <p class="muted">No Distributed Map runs in this execution (inline Map iterations are in the graph view: select the Map state).</p>}
      {data && data.map((run) => <MapRun arn={run.mapRunArn} />)}
    </div>
  );
}
