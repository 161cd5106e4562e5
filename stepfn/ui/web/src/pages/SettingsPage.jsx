// Access keys for a server started with `--auth sigv4`: kept in sessionStorage (this
// tab only, gone when it closes) and used to sign every request.
import { useState } from 'preact/hooks';
import { call, getCredentials, setCredentials } from '../api.js';
import { errorSentence } from '../errors.js';

export function SettingsPage() {
  const current = getCredentials() || {};
  const [form, setForm] = useState({ accessKeyId: current.accessKeyId || '',
    secretAccessKey: current.secretAccessKey || '', region: current.region || 'us-east-1' });
  const [message, setMessage] = useState(null);
  const field = (name) => ({ value: form[name], onInput: (e) => setForm({ ...form, [name]: e.target.value }) });

  async function save(e) {
    e.preventDefault();
    setCredentials(form.accessKeyId ? form : null);
    try {
      await call('ListStateMachines', { maxResults: 1 });
      setMessage({ ok: true, text: form.accessKeyId ? 'Signed requests work.' : 'Requests are sent unsigned, and the server accepts them.' });
    } catch (err) {
      setMessage({ ok: false, text: errorSentence(err), code: err.code });
    }
  }

  return (
    <main class="page narrow">
      <h1>Settings</h1>
      <p>When the server runs with <code>--auth sigv4</code>, enter one of its access keys:
        every request is then signed with AWS Signature Version 4. The keys stay in this
        browser tab's session storage only.</p>
      <form class="form" onSubmit={save}>
        <label>Access key ID <input name="accessKeyId" autocomplete="off" {...field('accessKeyId')} /></label>
        <label>Secret access key <input name="secretAccessKey" type="password" autocomplete="off" {...field('secretAccessKey')} /></label>
        <label>Region <input name="region" {...field('region')} /></label>
        <div class="buttons">
          <button type="submit" class="primary">Save and test</button>
          <button type="button" onClick={() => { setCredentials(null); setForm({ accessKeyId: '', secretAccessKey: '', region: 'us-east-1' }); setMessage(null); }}>Forget keys</button>
        </div>
      </form>
      {message && <p class={message.ok ? 'ok' : 'error'} role="status" data-code={message.code}>{message.text}</p>}
    </main>
  );
}
