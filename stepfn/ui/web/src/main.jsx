// The app shell: a header with the navigation, and the page the URL names.
// To add a page: write pages/Name.jsx exporting a component that takes `params` (the
// route pattern's groups, URI-decoded) and add a [pattern, Component] line to ROUTES.
import { render } from 'preact';
import { Link, match, useLocation } from './router.js';
import { getCredentials } from './api.js';
import { warmUp } from './graph/layout.js';
import { MachinesList } from './pages/MachinesList.jsx';
import { MachinePage } from './pages/MachinePage.jsx';
import { ExecutionPage } from './pages/ExecutionPage.jsx';
import { EditorPage } from './pages/EditorPage.jsx';
import { SettingsPage } from './pages/SettingsPage.jsx';
import './styles.css';

export const ROUTES = [
  [/^\/$/, MachinesList],
  [/^\/machines\/([^/]+)$/, MachinePage],
  [/^\/executions\/([^/]+)$/, ExecutionPage],
  [/^\/editor(?:\/([^/]+))?$/, EditorPage],
  [/^\/settings$/, SettingsPage],
];

function NotFound() {
  return <main class="page"><h1>Not found</h1><p>No page at {location.pathname}.</p></main>;
}

function App() {
  const { path } = useLocation();
  const found = match(ROUTES, path);
  const Page = found ? found.component : NotFound;
  const signed = !!getCredentials();
  const section = path.split('/')[1] || 'machines';
  return (
    <>
      <header class="topbar">
        <Link href="/" class="brand">stepfn</Link>
        <nav>
          <Link href="/" class={section === 'machines' || section === 'executions' ? 'active' : ''}>State machines</Link>
          <Link href="/editor" class={section === 'editor' ? 'active' : ''}>Workflow Studio</Link>
          <Link href="/settings" class={section === 'settings' ? 'active' : ''}>
            {signed ? 'Signed requests' : 'Settings'}
          </Link>
        </nav>
      </header>
      <Page key={path} params={found ? found.params : []} />
    </>
  );
}

warmUp();
render(<App />, document.getElementById('app'));
