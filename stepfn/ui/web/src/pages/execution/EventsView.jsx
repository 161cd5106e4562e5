// Every history event, filterable by kind and text; virtualised (only the rows in view
// are drawn), so an execution of tens of thousands of events opens at once.
import { useMemo, useState } from 'preact/hooks';
import { VirtualList } from '../../components/VirtualList.jsx';
import { ErrorDetails, readCause } from '../../components/ErrorDetails.jsx';
import { detailsOf } from '../../exec/model.js';
import { formatDate, pretty } from '../../util.js';

const KINDS = {
  all: () => true,
  states: (e) => /State(Entered|Exited)$/.test(e.type),
  tasks: (e) => /^(Task|LambdaFunction|Activity)/.test(e.type),
  failures: (e) => /(Failed|TimedOut|Aborted)$/.test(e.type),
  map: (e) => e.type.startsWith('Map'),
  execution: (e) => e.type.startsWith('Execution'),
};

function summary(event) {
  const d = detailsOf(event);
  if (d.error || d.cause) {
    const read = readCause(d.cause);
    const text = read ? (read.message ?? read.text) : '';
    return `${d.error || 'Error'}${text ? `: ${text}` : ''}`;
  }
  if (d.resource) return `${d.resourceType ? `${d.resourceType}:` : ''}${d.resource}`;
  if (d.index !== undefined) return `index ${d.index}`;
  if (d.output !== undefined) return d.output;
  if (d.input !== undefined) return d.input;
  return '';
}

export function EventsView({ model, version }) {
  const [kind, setKind] = useState('all');
  const [text, setText] = useState('');
  const [picked, setPicked] = useState(null);
  const start = model.start || 0;
  const rows = useMemo(() => {
    const needle = text.trim().toLowerCase();
    const test = KINDS[kind];
    return model.events.filter((e) => {
      if (!test(e)) return false;
      if (!needle) return true;
      const step = model.eventVisit.get(e.id)?.name || detailsOf(e).name || '';
      return e.type.toLowerCase().includes(needle) || step.toLowerCase().includes(needle) ||
        String(e.id) === needle || summary(e).toLowerCase().includes(needle);
    });
  }, [version, kind, text]);
  const event = picked != null ? model.byId.get(picked) : null;
  return (
    <section id="events">
      <div class="filters">
        <select name="kind" value={kind} onChange={(e) => setKind(e.target.value)} aria-label="Kind of event">
          <option value="all">All events</option><option value="states">State entered/exited</option>
          <option value="tasks">Tasks</option><option value="failures">Failures</option>
          <option value="map">Map</option><option value="execution">Execution</option>
        </select>
        <input type="search" name="filter" placeholder="Filter by type, state, id or text" value={text}
          aria-label="Filter the events"
          onInput={(e) => setText(e.target.value)} size={40} />
        <span class="muted" data-count="shown">{rows.length} of {model.events.length}</span>
      </div>
      <VirtualList items={rows} rowHeight={28} height={event ? 360 : 560}
        header={<><span class="c-id">ID</span><span class="c-type">Type</span><span class="c-step">Step</span>
          <span class="c-res">Details</span><span class="c-time">Elapsed</span><span class="c-date">Timestamp</span></>}
        renderRow={(e) => (
          <div class={`vrow clickable${picked === e.id ? ' selected' : ''}${/(Failed|TimedOut)$/.test(e.type) ? ' failure' : ''}`}
               style={{ position: 'static', width: '100%', border: 'none' }}
               data-event-id={e.id} onClick={() => setPicked(e.id)} role="button" tabIndex={0}
               onKeyDown={(k) => k.key === 'Enter' && setPicked(e.id)}>
            <span class="c-id">{e.id}</span><span class="c-type">{e.type}</span>
            <span class="c-step">{model.eventVisit.get(e.id)?.name || detailsOf(e).name || ''}</span>
            <span class="c-res mono">{summary(e).slice(0, 200)}</span>
            <span class="c-time">{Math.round((e.timestamp - start) * 1000)} ms</span>
            <span class="c-date">{formatDate(e.timestamp)}</span>
          </div>
        )} />
      {event && (
        <div class="panel" id="event-details">
          <h2>Event {event.id}: {event.type} <button type="button" onClick={() => setPicked(null)}>Close</button></h2>
          {(detailsOf(event).error || detailsOf(event).cause) && (
            <ErrorDetails error={detailsOf(event).error} cause={detailsOf(event).cause} />
          )}
          <pre class="json">{pretty(JSON.stringify(event))}</pre>
        </div>
      )}
    </section>
  );
}
