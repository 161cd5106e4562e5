// Every state visit as a table with a timeline: where it ran (branch, iteration), its
// status, when it started, how long it took and its retries with their back-offs.
import { VirtualList } from '../../components/VirtualList.jsx';
import { StatusBadge, useNow } from '../../components/common.jsx';
import { describeThread } from '../../exec/model.js';
import { formatDuration } from '../../util.js';

export function TableView({ model, version, onOpen, running }) {
  const start = model.start || 0;
  const now = useNow(running, 1000); // running visits' durations tick
  const span = Math.max(0.001, (model.end || start) - start, ...model.visits.map((v) => (v.end ?? now) - start));
  return (
    <section id="table-view" data-version={version}>
      <VirtualList items={model.visits} rowHeight={30} height={560}
        header={<><span class="c-name">State</span><span class="c-status">Status</span><span class="c-where">Where</span>
          <span class="c-time">Started</span><span class="c-dur">Duration</span><span class="c-retries">Retries</span>
          <span class="c-bar">Timeline</span></>}
        renderRow={(v) => {
          const end = v.end ?? now;
          const backoff = v.retries.reduce((s, r) => s + ((r.retriedAt ?? r.at) - r.at), 0);
          return (
            <div class="vrow clickable" style={{ position: 'static', width: '100%', border: 'none' }}
                 data-visit={v.name} data-status={v.status} onClick={() => onOpen(v.name)}
                 role="button" tabIndex={0} onKeyDown={(e) => e.key === 'Enter' && onOpen(v.name)}>
              <span class="c-name">{v.name}</span>
              <span class="c-status"><StatusBadge status={v.status} /></span>
              <span class="c-where muted">{describeThread(v.thread, model)}</span>
              <span class="c-time">+{formatDuration(v.start - start)}</span>
              <span class="c-dur">{formatDuration(end - v.start)}</span>
              <span class="c-retries" title={v.retries.map((r) => r.error).join(', ')}>
                {v.retries.length ? `${v.retries.length} (waited ${formatDuration(backoff)})` : ''}</span>
              <span class="c-bar"><span class={`bar status-${v.status}`}
                style={{ left: `${((v.start - start) / span) * 100}%`, width: `${((end - v.start) / span) * 100}%` }} /></span>
            </div>
          );
        }} />
    </section>
  );
}
