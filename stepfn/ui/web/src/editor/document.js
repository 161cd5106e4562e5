// The editor's document: the definition (the ASL object, the single source of truth),
// the code view's text (the definition as JSON, or what the user is typing when it does
// not parse yet), and the undo/redo history of definitions.
import { useReducer } from 'preact/hooks';

const LIMIT = 200; // undo steps kept
const COALESCE_MS = 1200; // typing in the code view within this time is one undo step

/** The definition as the code view shows it. */
export const toText = (def) => JSON.stringify(def, null, 2);

/** A new, empty workflow (AWS's Workflow Studio starts from nothing too). */
export const EMPTY = { Comment: 'A description of my state machine', StartAt: '', States: {} };

/** The text parsed as a definition: {def} or {error} (not JSON, or not an object). */
export function parseDefinition(text) {
  try {
    const def = JSON.parse(text);
    if (!def || typeof def !== 'object' || Array.isArray(def)) return { error: 'The definition must be a JSON object.' };
    return { def };
  } catch (e) {
    return { error: e.message };
  }
}

function initial(def) {
  return { past: [], future: [], def, text: toText(def), parseError: null, lastCode: 0 };
}

function reduce(s, action) {
  switch (action.type) {
    case 'edit': {
      if (toText(action.def) === toText(s.def)) return { ...s, text: toText(s.def), parseError: null };
      return { ...s, past: [...s.past, s.def].slice(-LIMIT), future: [], def: action.def,
        text: toText(action.def), parseError: null, lastCode: 0 };
    }
    case 'text': {
      const parsed = parseDefinition(action.text);
      if (parsed.error) return { ...s, text: action.text, parseError: parsed.error };
      if (toText(parsed.def) === toText(s.def)) return { ...s, text: action.text, parseError: null };
      // Keystrokes close together are one step; the first one remembers where it started.
      const merge = s.lastCode && action.at - s.lastCode < COALESCE_MS;
      return { ...s, past: merge ? s.past : [...s.past, s.def].slice(-LIMIT), future: [],
        def: parsed.def, text: action.text, parseError: null, lastCode: action.at };
    }
    case 'undo': {
      if (!s.past.length) return s;
      const def = s.past[s.past.length - 1];
      return { ...s, past: s.past.slice(0, -1), future: [s.def, ...s.future], def,
        text: toText(def), parseError: null, lastCode: 0 };
    }
    case 'redo': {
      if (!s.future.length) return s;
      const [def, ...future] = s.future;
      return { ...s, past: [...s.past, s.def], future, def, text: toText(def),
        parseError: null, lastCode: 0 };
    }
    case 'reset':
      return initial(action.def);
    default:
      return s;
  }
}

/**
 * The document and its operations: edit(def) (from the canvas or the form), setText(text)
 * (from the code view), undo(), redo(), reset(def) (a loaded or imported definition).
 */
export function useDocument(start = EMPTY) {
  const [doc, dispatch] = useReducer(reduce, start, initial);
  return {
    ...doc,
    canUndo: doc.past.length > 0,
    canRedo: doc.future.length > 0,
    edit: (def) => dispatch({ type: 'edit', def }),
    setText: (text) => dispatch({ type: 'text', text, at: Date.now() }),
    undo: () => dispatch({ type: 'undo' }),
    redo: () => dispatch({ type: 'redo' }),
    reset: (def) => dispatch({ type: 'reset', def }),
  };
}
