// Server-Sent Events over fetch: EventSource cannot send an Authorization header, fetch can.

/**
 * An incremental parser of the text/event-stream format (WHATWG HTML §9.2): feed it decoded
 * chunks in any split; it calls onEvent({type, data, id}) once per complete event.
 */
export function createSseParser(onEvent, onRetry = () => {}) {
  let buffer = '';
  let data = [];
  let type = '';
  let lastId = '';
  let sawCr = false;

  const dispatch = () => {
    if (data.length) onEvent({ type: type || 'message', data: data.join('\n'), id: lastId });
    data = [];
    type = '';
  };

  const line = (text) => {
    if (text === '') return dispatch();
    if (text.startsWith(':')) return; // comment (keep-alive)
    const colon = text.indexOf(':');
    const field = colon === -1 ? text : text.slice(0, colon);
    let value = colon === -1 ? '' : text.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') data.push(value);
    else if (field === 'event') type = value;
    else if (field === 'id' && !value.includes('\0')) lastId = value;
    else if (field === 'retry' && /^\d+$/.test(value)) onRetry(Number(value));
  };

  return {
    push(chunk) {
      let text = buffer + chunk;
      if (!text) return;
      // A CR that ended the previous chunk already ended its line: a following LF is part of it.
      if (sawCr && text.startsWith('\n')) text = text.slice(1);
      sawCr = false;
      let start = 0;
      for (let i = 0; i < text.length; i++) {
        const c = text[i];
        if (c !== '\n' && c !== '\r') continue;
        line(text.slice(start, i));
        if (c === '\r') {
          if (i + 1 === text.length) sawCr = true;
          else if (text[i + 1] === '\n') i++;
        }
        start = i + 1;
      }
      buffer = text.slice(start);
    },
    get lastEventId() { return lastId; },
  };
}

/**
 * Opens `url` as an event stream with the given headers and keeps it open: reconnects after a
 * drop (with the server's `retry` delay or a capped backoff, sending Last-Event-ID), but stops
 * on a 4xx since retrying cannot fix it. Returns { close() }.
 */
export function openEventStream(url, { headers = {}, onEvent, onState = () => {}, onError = () => {} }) {
  const abort = new AbortController();
  let retryMs = 1000;
  let failures = 0;
  let lastId = '';

  const run = async () => {
    while (!abort.signal.aborted) {
      onState('connecting');
      try {
        const res = await fetch(url, {
          headers: { accept: 'text/event-stream', ...headers, ...(lastId && { 'last-event-id': lastId }) },
          cache: 'no-store',
          signal: abort.signal,
        });
        if (!res.ok) {
          let err = { status: res.status, code: 'http_error', message: `The live stream answered ${res.status}.` };
          try { err = { status: res.status, ...(await res.json()).error }; } catch { /* keep the generic one */ }
          onError(err);
          if (res.status >= 400 && res.status < 500 && res.status !== 429) return onState('stopped');
          throw new Error(err.message);
        }
        if (!res.body) throw new Error('This browser cannot stream responses.');
        onState('open');
        failures = 0;
        const parser = createSseParser((ev) => {
          if (ev.id) lastId = ev.id;
          onEvent(ev);
        }, (ms) => (retryMs = ms));
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          parser.push(value);
        }
      } catch (err) {
        if (abort.signal.aborted) break;
        if (err?.name !== 'AbortError') onState('reconnecting', err);
      }
      if (abort.signal.aborted) break;
      failures++;
      await new Promise((ok) => setTimeout(ok, Math.min(retryMs * 2 ** Math.min(failures - 1, 4), 30_000)));
    }
    onState('closed');
  };
  void run();
  return { close: () => abort.abort() };
}
