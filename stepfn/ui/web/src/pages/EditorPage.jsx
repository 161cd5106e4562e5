// Workflow Studio (the editor): a placeholder until the editor lands.
import { Graph } from '../components/Graph.jsx';

const SAMPLE = {
  StartAt: 'Hello',
  States: { Hello: { Type: 'Pass', Next: 'Done' }, Done: { Type: 'Succeed' } },
};

export function EditorPage() {
  return (
    <main class="page">
      <h1>Workflow Studio</h1>
      <p class="muted">The editor is being built.</p>
      <Graph definition={SAMPLE} height="300px" />
    </main>
  );
}
