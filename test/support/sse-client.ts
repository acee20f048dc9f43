// A minimal Server-Sent Events reader for tests: records events and comments with arrival times.
import http from 'node:http';

export interface SseEvent {
  event: string;
  data: any;
  at: number;
}

export class SseClient {
  readonly events: SseEvent[] = [];
  readonly comments: string[] = [];
  status = 0;
  headers: http.IncomingHttpHeaders = {};
  ended = false;
  private buffer = '';
  private waiters: Array<() => void> = [];
  private req!: http.ClientRequest;

  static open(url: string, headers: Record<string, string>): Promise<SseClient> {
    const client = new SseClient();
    return new Promise((ok, fail) => {
      // agent: false: a stream the server ended must not lend its half-closed socket to the next open.
      client.req = http.get(url, { agent: false, headers: { accept: 'text/event-stream', ...headers } }, (res) => {
        client.status = res.statusCode ?? 0;
        client.headers = res.headers;
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => client.take(chunk));
        res.on('end', () => client.finish());
        res.on('close', () => client.finish());
        ok(client);
      });
      client.req.on('error', (err) => (client.status ? client.finish() : fail(err)));
    });
  }

  private take(chunk: string) {
    this.buffer += chunk;
    let i: number;
    while ((i = this.buffer.indexOf('\n\n')) >= 0) {
      const block = this.buffer.slice(0, i);
      this.buffer = this.buffer.slice(i + 2);
      let event = 'message';
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) this.comments.push(line.slice(1).trim());
        else if (line.startsWith('event: ')) event = line.slice(7);
        else if (line.startsWith('data: ')) data.push(line.slice(6));
      }
      if (data.length) this.events.push({ event, data: JSON.parse(data.join('\n')), at: Date.now() });
    }
    this.wake();
  }

  private finish() {
    this.ended = true;
    this.wake();
  }

  private wake() {
    for (const w of this.waiters.splice(0)) w();
  }

  /** Resolves when `check` holds, re-checked on every arrival; rejects after `timeoutMs`. */
  async until<T>(check: () => T | undefined | false, timeoutMs: number, what: string): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = check();
      if (v) return v;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise<void>((ok) => {
        const t = setTimeout(ok, left);
        this.waiters.push(() => {
          clearTimeout(t);
          ok();
        });
      });
    }
  }

  /** The first `funnel` event after index `from` that has a row for `campaignId`. */
  funnelRow(campaignId: string, from = 0) {
    for (const e of this.events.slice(from)) {
      const row = e.event === 'funnel' && e.data.data.find((r: { campaignId: string }) => r.campaignId === campaignId);
      if (row) return { row, event: e };
    }
    return undefined;
  }

  close() {
    this.req.destroy();
  }
}
