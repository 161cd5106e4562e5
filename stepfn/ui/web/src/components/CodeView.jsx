// <CodeView>: a CodeMirror 6 editor for JSON. Read-only unless `onChange` is given;
// a new `value` from outside replaces the text (without moving the cursor needlessly).
import { useEffect, useRef } from 'preact/hooks';
import { EditorView, basicSetup } from 'codemirror';
import { EditorState } from '@codemirror/state';
import { json } from '@codemirror/lang-json';

/** Props: value (text), onChange(text), readOnly, height (CSS), extensions (more CM6). */
export function CodeView({ value, onChange, readOnly = !onChange, height = '360px',
  extensions = [], label = 'Code' }) {
  const host = useRef(null);
  const view = useRef(null);
  const changed = useRef(onChange);
  changed.current = onChange;

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
            if (u.docChanged && changed.current) changed.current(u.state.doc.toString());
          }),
          EditorView.theme({ '&': { height }, '.cm-scroller': { overflow: 'auto' } }),
          ...extensions,
        ],
      }),
    });
    return () => view.current.destroy();
  }, [readOnly]);

  useEffect(() => {
    const v = view.current;
    if (v && value !== v.state.doc.toString()) {
      v.dispatch({ changes: { from: 0, to: v.state.doc.length, insert: value || '' } });
    }
  }, [value]);

  return <div class="code-view" ref={host} />;
}

/** The EditorView of a CodeView's host element (for editors that need the instance). */
export function viewOf(element) {
  return EditorView.findFromDOM(element.querySelector('.cm-editor'));
}
