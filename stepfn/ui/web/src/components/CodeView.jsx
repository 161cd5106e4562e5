// <CodeView>: a CodeMirror 6 editor for JSON. Read-only unless `onChange` is given;
// a new `value` from outside replaces the text (without moving the cursor needlessly).
import { useEffect, useRef } from 'preact/hooks';
import { EditorView, basicSetup } from 'codemirror';
import { Annotation, EditorState } from '@codemirror/state';
import { json } from '@codemirror/lang-json';

// Marks a change that came from the `value` prop (it is not echoed to onChange).
const fromProps = Annotation.define();

/** Props: value (text), onChange(text), readOnly, height (CSS), extensions (more CM6). */
export function CodeView({ value, onChange, readOnly = !onChange, height = '360px',
  extensions = [], label = 'Code' }) {
  const host = useRef(null);
  const view = useRef(null);
  const changed = useRef(onChange);
  changed.current = onChange;
  // Texts sent to onChange that `value` has not caught up with yet: while the user types
  // faster than the page re-renders, a `value` still holding one of them is stale and must
  // not replace the newer text (that would echo back and forth).
  const sent = useRef(new Set());

  useEffect(() => {
    view.current = new EditorView({
      parent: host.current,
      state: EditorState.create({
        doc: value || '',
        extensions: [
          basicSetup, json(), EditorView.lineWrapping,
          EditorState.readOnly.of(readOnly), EditorView.editable.of(!readOnly),
          EditorView.contentAttributes.of({ 'aria-label': label }),
          EditorView.updateListener.of((u) => {
            if (!u.docChanged || !changed.current) return;
            if (u.transactions.some((t) => t.annotation(fromProps))) return;
            const text = u.state.doc.toString();
            sent.current.add(text);
            changed.current(text);
          }),
          EditorView.theme({ '&': { height }, '.cm-scroller': { overflow: 'auto' } }),
          ...extensions,
        ],
      }),
    });
    // The scrolling box takes the keyboard's focus too, so a long text can be scrolled
    // without a mouse.
    view.current.scrollDOM.tabIndex = 0;
    view.current.scrollDOM.setAttribute('role', 'region');
    view.current.scrollDOM.setAttribute('aria-label', `${label} (scroll)`);
    return () => view.current.destroy();
  }, [readOnly]);

  useEffect(() => {
    const v = view.current;
    if (!v) return;
    if (value === v.state.doc.toString()) {
      sent.current.clear();
      return;
    }
    if (sent.current.has(value)) return;
    sent.current.clear();
    v.dispatch({ changes: { from: 0, to: v.state.doc.length, insert: value || '' },
      annotations: fromProps.of(true) });
  }, [value]);

  return <div class="code-view" ref={host} />;
}

/** The EditorView of a CodeView's host element (for editors that need the instance). */
export function viewOf(element) {
  // Null until CodeMirror has drawn into the host (findFromDOM needs its element).
  const editor = element.querySelector('.cm-editor');
  return editor ? EditorView.findFromDOM(editor) : null;
}
