// TestState from the editor: run the selected state on an input, optionally against a
// mocked result or error (TestState's `mock`), and show the answer with its inspection data
// (the data after each processing stage).
import { useState } from 'preact/hooks';
import { call } from '../api.js';
import { ErrorBox, StatusBadge } from '../components/common.jsx';
import { pretty } from '../util.js';
import { findState, queryLanguage } from './asl.js';

// inspectionData's members in the order the state processes its data.
const STAGES = [
  ['input', 'Input'], ['afterInputPath', 'After InputPath'],
  ['afterParameters', 'After Parameters'], ['afterArguments', 'After Arguments'],
  ['afterItemsPath', 'After ItemsPath'], ['afterItemBatcher', 'After ItemBatcher'],
  ['afterItemSelector', 'After ItemSelector'],
  ['result', 'Result'], ['afterResultSelector', 'After ResultSelector'],
  ['afterResultPath', 'After ResultPath'], ['output', 'Output'], ['variables', 'Variables'],
  ['errorDetails', 'Error details'], ['request', 'HTTP request'], ['response', 'HTTP response'],
];

const MOCKABLE = new Set(['Task', 'Map', 'Parallel']);

function parses(text) {
  try {
    JSON.parse(text);
    return null;
  } catch (e) {
    return e.message;
  }
}

/**
 * The TestState request for state `name`: a top-level state is tested within the whole
 * definition (stateName); a nested one on its own, with the query language it inherits.
 */
export function testRequest(definition, name) {
  if (definition.States && definition.States[name]) {
    return { definition: JSON.stringify(definition), stateName: name };
  }
  const found = findState(definition, name);
  const state = { ...found.state };
  if (!state.QueryLanguage) state.QueryLanguage = queryLanguage(definition, state);
  return { definition: JSON.stringify(state) };
}

export function TestPanel({ definition, name, roleArn }) {
  const found = findState(definition, name);
  const type = found ? found.state.Type : '';
  const [input, setInput] = useState('{}');
  const [level, setLevel] = useState('DEBUG');
  const [mockOn, setMockOn] = useState(type === 'Map' || type === 'Parallel');
  const [mockKind, setMockKind] = useState('result');
  const [mockResult, setMockResult] = useState('{}');
  const [mockError, setMockError] = useState({ error: 'States.TaskFailed', cause: '' });
  const [answer, setAnswer] = useState(null);
  const [problem, setProblem] = useState(null);
  const [busy, setBusy] = useState(false);
  if (!found) return null;
  const inputError = parses(input);
  const mockBad = mockOn && mockKind === 'result' ? parses(mockResult) : null;

  async function run(e) {
    e.preventDefault();
    setBusy(true);
    setProblem(null);
    setAnswer(null);
    try {
      const request = { ...testRequest(definition, name), input, inspectionLevel: level };
      if (roleArn) request.roleArn = roleArn;
      if (mockOn && MOCKABLE.has(type)) {
        request.mock = mockKind === 'result' ? { result: mockResult }
          : { errorOutput: { error: mockError.error, cause: mockError.cause } };
      }
      setAnswer(await call('TestState', request));
    } catch (err) {
      setProblem(err);
    } finally {
      setBusy(false);
    }
  }

  const data = answer && answer.inspectionData;
  return (
    <form class="form test-panel" onSubmit={run} data-test-state={name}>
      <label>Input (JSON)</label>
      <textarea class="mono" name="test-input" rows={5} value={input}
        onInput={(e) => setInput(e.target.value)} spellcheck={false} />
      {inputError && <p class="error">Not valid JSON: {inputError}</p>}
      <div class="buttons">
        <label class="inline">Inspection
          <select name="inspectionLevel" value={level} onChange={(e) => setLevel(e.target.value)}>
            <option>INFO</option><option>DEBUG</option><option>TRACE</option>
          </select>
        </label>
        {MOCKABLE.has(type) && (
          <label class="inline"><input type="checkbox" name="mock" checked={mockOn}
            onChange={(e) => setMockOn(e.target.checked)} /> Mock the {type === 'Task' ? 'service call' : type}</label>
        )}
      </div>
      {mockOn && MOCKABLE.has(type) && (
        <div class="mock">
          <label class="inline"><input type="radio" name="mock-kind" checked={mockKind === 'result'}
            onChange={() => setMockKind('result')} /> Result</label>
          <label class="inline"><input type="radio" name="mock-kind" checked={mockKind === 'error'}
            onChange={() => setMockKind('error')} /> Error</label>
          {mockKind === 'result' ? (
            <>
              <textarea class="mono" name="mock-result" rows={3} value={mockResult}
                onInput={(e) => setMockResult(e.target.value)} spellcheck={false} />
              {mockBad && <p class="error">Not valid JSON: {mockBad}</p>}
            </>
          ) : (
            <div class="mini">
              <label>Error <input name="mock-error" value={mockError.error}
                onInput={(e) => setMockError({ ...mockError, error: e.target.value })} /></label>
              <label>Cause <input name="mock-cause" value={mockError.cause}
                onInput={(e) => setMockError({ ...mockError, cause: e.target.value })} /></label>
            </div>
          )}
        </div>
      )}
      <div class="buttons">
        <button type="submit" class="primary" data-action="test-state" disabled={busy || !!inputError || !!mockBad}>
          {busy ? 'Testing…' : 'Test state'}</button>
      </div>
      <ErrorBox error={problem} />
      {answer && (
        <div class="test-answer" data-test-status={answer.status}>
          <p><StatusBadge status={answer.status} />
            {answer.nextState && <span> next state: <b data-next-state>{answer.nextState}</b></span>}</p>
          {answer.error && <p class="error" data-test-error>{answer.error}{answer.cause ? `: ${answer.cause}` : ''}</p>}
          {answer.output !== undefined && (
            <div class="stage" data-stage="output-answer"><h3>Output</h3><pre class="json">{pretty(answer.output)}</pre></div>
          )}
          {data && STAGES.filter(([key]) => data[key] !== undefined).map(([key, title]) => (
            <div class="stage" data-stage={key}>
              <h3>{title}</h3>
              <pre class="json">{typeof data[key] === 'string' ? pretty(data[key]) : JSON.stringify(data[key], null, 2)}</pre>
            </div>
          ))}
        </div>
      )}
    </form>
  );
}
