// An execution, live (placeholder: the graph coloured from the feed).
import { useEffect, useState } from 'preact/hooks';
import { call, follow } from '../api.js';
import { ErrorBox, StatusBadge, useAsync } from '../components/common.jsx';
import { Graph } from '../components/Graph.jsx';
import { StatusTracker } from '../exec/status.js';

export function ExecutionPage({ params }) {
  const arn = params[0];
  const { data: execution, error } = useAsync(() => call('DescribeExecution', { executionArn: arn }), [arn]);
  const { data: machine } = useAsync(async () => execution && call('DescribeStateMachineForExecution', { executionArn: arn }), [execution]);
  const [statuses, setStatuses] = useState({});
  useEffect(() => {
    const tracker = new StatusTracker();
    return follow(arn, { onEvents: (events) => { events.forEach((e) => tracker.add(e)); setStatuses(tracker.statuses()); } });
  }, [arn]);
  if (error) return <main class="page"><ErrorBox error={error} /></main>;
  if (!execution) return <main class="page"><p class="muted">Loading…</p></main>;
  return (
    <main class="page">
      <h1>{execution.name} <StatusBadge status={execution.status} /></h1>
      {machine && <Graph definition={machine.definition} statuses={statuses} />}
    </main>
  );
}
