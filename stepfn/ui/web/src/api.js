// The UI's only way to the server: the public Step Functions API (POST / in awsJson1_0,
// the operations boto3 calls) and the live feed of an execution (GET /feed/...).
// When the user has entered access keys (Settings), every request is signed with
// AWS Signature Version 4, as the server checks under `stepfn serve --auth sigv4`.
import { AwsClient } from 'aws4fetch';

const CREDENTIALS = 'stepfn.credentials';

/** The keys the user entered for this browser session, or null. */
export function getCredentials() {
  try {
    return JSON.parse(sessionStorage.getItem(CREDENTIALS) || 'null');
  } catch {
    return null;
  }
}

/** Keep {accessKeyId, secretAccessKey, region} for this session (null forgets them). */
export function setCredentials(value) {
  if (value) sessionStorage.setItem(CREDENTIALS, JSON.stringify(value));
  else sessionStorage.removeItem(CREDENTIALS);
  signer = null;
}

let signer = null;

function client() {
  const c = getCredentials();
  if (!c || !c.accessKeyId) return null;
  if (!signer) {
    signer = new AwsClient({
      accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey,
      region: c.region || 'us-east-1', service: 'states', retries: 0,
    });
  }
  return signer;
}

/** fetch(), signed when keys are set. */
export function send(url, init = {}) {
  const c = client();
  return c ? c.fetch(url, init) : fetch(url, init);
}

/** An error answer of the API: `code` is AWS's error code (`__type`). */
export class ApiError extends Error {
  constructor(code, message, status) {
    super(message || code);
    this.code = code;
    this.status = status;
  }
}

/** Call one API operation (e.g. call('ListStateMachines', {maxResults: 100})). */
export async function call(operation, request = {}) {
  let res;
  try {
    res = await send(new URL('/', location.href).href, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.0',
        'x-amz-target': `AWSStepFunctions.${operation}`,
      },
      body: JSON.stringify(request),
    });
  } catch (e) {
    throw new ApiError('NetworkError', `The server did not answer: ${e.message}`, 0);
  }
  const text = await res.text();
  let data = {};
  try {
    data = text ? JSON.parse(text) : {};
  } catch {
    data = { message: text };
  }
  if (!res.ok) {
    const code = String(data.__type || 'Error').split('#').pop();
    throw new ApiError(code, data.message || data.Message || res.statusText, res.status);
  }
  return data;
}

/**
 * GET one of stepfn's own routes beside the AWS API (`/stepfn/v1/...`, JSON; signed
 * like every request), e.g. stepfnGet('express-executions', {stateMachineArn}).
 */
export async function stepfnGet(route, params = {}) {
  const url = new URL(`/stepfn/v1/${route}`, location.href);
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null) url.searchParams.set(k, v);
  let res;
  try {
    res = await send(url.href, { method: 'GET', headers: { accept: 'application/json' } });
  } catch (e) {
    throw new ApiError('NetworkError', `The server did not answer: ${e.message}`, 0);
  }
  const text = await res.text();
  let data = {};
  try {
    data = text ? JSON.parse(text) : {};
  } catch {
    data = { message: text };
  }
  if (!res.ok) {
    const code = String(data.__type || (res.status === 404 ? 'ResourceNotFound' : 'Error')).split('#').pop();
    throw new ApiError(code, data.message || data.Message || res.statusText, res.status);
  }
  return data;
}

/** Whether `arn` names an Express execution (…:express:<machine>:<name>:<id>). */
export const isExpressExecution = (arn) => String(arn).split(':')[5] === 'express';

/** Every page of a list operation: `key` names the answer's list member. */
export async function callAll(operation, request, key, limit = 10000) {
  const items = [];
  let nextToken;
  do {
    const page = await call(operation, { ...request, ...(nextToken ? { nextToken } : {}) });
    items.push(...(page[key] || []));
    nextToken = page.nextToken;
  } while (nextToken && items.length < limit);
  return items;
}

/**
 * Follow an execution's live feed (Server-Sent Events read through fetch, so the
 * request can be signed). `onEvents(list)` gets history events in order, in batches;
 * `onEnd()` runs once the execution's terminal event arrived. Reconnects after a
 * dropped connection from the last event received (`after`: start after that event id).
 * Returns a function that stops.
 */
export function follow(executionArn, { onEvents, onEnd, onError, after = 0 }) {
  const controller = new AbortController();
  let last = after;
  let stopped = false;
  const base = new URL(`/feed/executions/${encodeURIComponent(executionArn)}`,
    location.href).href;

  async function once() {
    const url = last ? `${base}?after=${last}` : base;
    const res = await send(url, { signal: controller.signal, headers: { accept: 'text/event-stream' } });
    if (!res.ok) {
      const text = await res.text();
      let message = text;
      try { message = JSON.parse(text).message || text; } catch { /* plain text */ }
      throw new ApiError('FeedError', message, res.status);
    }
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    let ended = false;
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      const cut = buffer.lastIndexOf('\n\n');
      if (cut < 0) continue;
      const batch = [];
      for (const block of buffer.slice(0, cut).split('\n\n')) {
        const data = block.split('\n').filter((l) => l.startsWith('data: '))
          .map((l) => l.slice(6)).join('\n');
        if (!data) continue;
        const event = JSON.parse(data);
        if (event.id <= last) continue;
        last = event.id;
        batch.push(event);
        if (TERMINAL.has(event.type)) ended = true;
      }
      buffer = buffer.slice(cut + 2);
      if (batch.length) onEvents(batch);
    }
    return ended;
  }

  (async () => {
    let delay = 500;
    while (!stopped) {
      try {
        if (await once()) {
          if (onEnd) onEnd();
          return;
        }
      } catch (e) {
        if (stopped) return;
        if (onError) onError(e);
        if (e instanceof ApiError && e.status >= 400 && e.status < 500) return;
      }
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 5000);
    }
  })();
  return () => {
    stopped = true;
    controller.abort();
  };
}

export const TERMINAL = new Set(['ExecutionSucceeded', 'ExecutionFailed',
  'ExecutionTimedOut', 'ExecutionAborted']);
