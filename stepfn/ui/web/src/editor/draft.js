// Unsaved work in Workflow Studio, kept in the browser's local storage while it is
// edited, so that a reload, a closed tab or a crash loses nothing: one draft per machine
// (or one for a new workflow), restored when the editor opens that machine again, gone
// once saved or discarded.
const PREFIX = 'stepfn.draft.';

const keyOf = (arn) => PREFIX + (arn || 'new');

/** The draft of `arn` (null: a new workflow): {def, base, at} or null. `base` is the
 *  saved definition's text the draft started from (null for a new workflow). */
export function loadDraft(arn) {
  try {
    const draft = JSON.parse(localStorage.getItem(keyOf(arn)) || 'null');
    return draft && typeof draft.def === 'object' ? draft : null;
  } catch {
    return null;
  }
}

/** Keep `def` as the draft of `arn` (`base`: the saved text it differs from). */
export function saveDraft(arn, def, base) {
  try {
    localStorage.setItem(keyOf(arn), JSON.stringify({ def, base, at: Date.now() }));
    return true;
  } catch {
    return false; // storage full or refused: the leave prompt still guards the work
  }
}

/** Forget the draft of `arn`. */
export function dropDraft(arn) {
  try {
    localStorage.removeItem(keyOf(arn));
  } catch {
    // nothing kept
  }
}
