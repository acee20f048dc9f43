import { expect } from 'chai';
import { createSseParser, type SseEvent } from '../../core/dashboard/public/js/sse.js';

/** Feeds `text` to a fresh parser in the given chunks and returns what it dispatched. */
function parse(chunks: string[]) {
  const events: SseEvent[] = [];
  const retries: number[] = [];
  const parser = createSseParser((e) => events.push(e), (ms) => retries.push(ms));
  for (const c of chunks) parser.push(c);
  return { events, retries };
}

const STREAM =
  'retry: 3000\n\n' +
  ': heartbeat\n\n' +
  'event: funnel\ndata: {"data":[{"campaignId":"partner-alpha","clicks":1}]}\n\n' +
  'id: 7\r\nevent: funnel\r\ndata: line one\r\ndata:line two\r\n\r\n' +
  'data: carriage\rdata: returns\r\r' +
  'event: close\ndata: {"reason":"server shutting down"}\n\n' +
  'event: funnel\ndata: {"unterminated":true}\n';

const EXPECTED: SseEvent[] = [
  { type: 'funnel', data: '{"data":[{"campaignId":"partner-alpha","clicks":1}]}', id: '' },
  { type: 'funnel', data: 'line one\nline two', id: '7' },
  { type: 'message', data: 'carriage\nreturns', id: '7' },
  { type: 'close', data: '{"reason":"server shutting down"}', id: '7' },
];

describe('dashboard live funnel: the SSE reader over fetch', () => {
  it('parses events, comments, ids, retry and every line ending of the text/event-stream format', () => {
    const { events, retries } = parse([STREAM]);
    expect(events).to.deep.equal(EXPECTED);
    expect(retries).to.deep.equal([3000]);
  });

  it('gives the same events however the network splits the bytes (incl. a CRLF split in two)', () => {
    for (let i = 0; i <= STREAM.length; i++) {
      for (const j of [i, Math.min(i + 1, STREAM.length), Math.min(i + 7, STREAM.length)]) {
        const { events } = parse([STREAM.slice(0, i), STREAM.slice(i, j), STREAM.slice(j)]);
        expect(events, `split at ${i}/${j}`).to.deep.equal(EXPECTED);
      }
    }
    const { events } = parse([...STREAM]);
    expect(events).to.deep.equal(EXPECTED);
  });

  it('dispatches nothing for an event without data, and keeps an unterminated event until its blank line', () => {
    expect(parse(['event: funnel\n\n', 'id: 3\n\n']).events).to.deep.equal([]);
    const { events } = parse(['data: x\n', '\n']);
    expect(events).to.deep.equal([{ type: 'message', data: 'x', id: '' }]);
  });
});
