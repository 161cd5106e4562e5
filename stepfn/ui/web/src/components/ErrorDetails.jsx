// <ErrorDetails>: an execution's or a state's error as a person reads it. A cause that is
// JSON with Lambda's members (errorMessage, errorType, stackTrace) shows as the message,
// the type and the stack trace formatted (one frame a line, without Python's ~~~^^^
// marker lines); any other JSON cause is pretty-printed; the raw text is one click away;
// a long cause is folded.
import { useState } from 'preact/hooks';

const FOLD_LINES = 12;
const FOLD_CHARS = 900;

/** The parts of a cause: {message, type, trace (lines), json (other JSON), text}. */
export function readCause(cause) {
  if (cause == null || cause === '') return null;
  const text = typeof cause === 'string' ? cause : JSON.stringify(cause);
  let parsed;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { text };
  }
  if (parsed && typeof parsed === 'object' && !Array.isArray(parsed) &&
      (typeof parsed.errorMessage === 'string' || typeof parsed.errorType === 'string')) {
    return { text, message: parsed.errorMessage, type: parsed.errorType,
      trace: traceLines(parsed.stackTrace), extra: otherMembers(parsed) };
  }
  if (typeof parsed === 'string') return { text: parsed };
  return { text, json: JSON.stringify(parsed, null, 2) };
}

function otherMembers(parsed) {
  const rest = { ...parsed };
  for (const key of ['errorMessage', 'errorType', 'stackTrace', 'requestId']) delete rest[key];
  return Object.keys(rest).length ? JSON.stringify(rest, null, 2) : null;
}

/** A stack trace (Python's list of "File ..." strings, Node's list, Java's frames, or
 *  one string) as lines, without the lines that only mark a column (~~~^^^). */
function traceLines(trace) {
  if (trace == null) return [];
  const items = Array.isArray(trace) ? trace : [trace];
  const lines = [];
  for (const item of items) {
    const text = Array.isArray(item) ? `${item[0]}:${item[1]} in ${item[2]}: ${item[3] ?? ''}` : String(item);
    for (const line of text.split('\n')) {
      if (!line.trim() || /^\s*[~^]+\s*$/.test(line)) continue;
      lines.push(line.replace(/\s+$/, ''));
    }
  }
  return lines;
}

function Folded({ text, cls = 'cause-text', label }) {
  const long = text.split('\n').length > FOLD_LINES || text.length > FOLD_CHARS;
  const [open, setOpen] = useState(false);
  return (
    <div class={`fold${long && !open ? ' folded' : ''}`}>
      <pre class={cls} aria-label={label}>{text}</pre>
      {long && (
        <button type="button" class="link-button" data-action="unfold" aria-expanded={open ? 'true' : 'false'}
          onClick={() => setOpen(!open)}>{open ? 'Show less' : 'Show all'}</button>
      )}
    </div>
  );
}

/** Props: error (name), cause (text), note (e.g. "caught", where it happened). */
export function ErrorDetails({ error, cause, note, id }) {
  const [raw, setRaw] = useState(false);
  const read = readCause(cause);
  if (!error && !read) return null;
  const structured = read && (read.message !== undefined || read.type !== undefined || read.json);
  return (
    <div class="error-details" role="group" aria-label="Error" data-error={error || ''} id={id}>
      <p class="error-head">
        <b class="error-name">{error || 'Error'}</b>
        {note && <span class="muted"> {note}</span>}
        {structured && (
          <button type="button" class="link-button" data-action="raw-cause" aria-pressed={raw ? 'true' : 'false'}
            onClick={() => setRaw(!raw)}>{raw ? 'Formatted' : 'Raw text'}</button>
        )}
      </p>
      {read && (raw || !structured) && <Folded text={raw ? read.text : read.text} label="Cause" />}
      {read && !raw && read.message !== undefined && (
        <>
          <div class="error-message" data-part="message"><Folded text={String(read.message)} cls="message-text" label="Message" /></div>
          {read.type && <p class="muted" data-part="type">Type: <code>{read.type}</code></p>}
          {read.trace.length > 0 && (
            <details class="stack" data-part="stack">
              <summary>Stack trace ({read.trace.length} lines)</summary>
              <Folded text={read.trace.join('\n')} cls="stack-text" label="Stack trace" />
            </details>
          )}
          {read.extra && <Folded text={read.extra} label="More details" />}
        </>
      )}
      {read && !raw && read.json && read.message === undefined && <Folded text={read.json} label="Cause" />}
    </div>
  );
}
