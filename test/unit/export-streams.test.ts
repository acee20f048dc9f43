import { expect } from 'chai';
import { Readable } from 'node:stream';
import { CsvLineEndings, UnescapeCopyText } from '../../core/analytics/export-streams.ts';

/** Feeds `input` split at every given offset, so state carried across chunks is exercised. */
async function through(t: CsvLineEndings | UnescapeCopyText, input: string, cuts: number[]): Promise<string> {
  const bytes = Buffer.from(input);
  const edges = [0, ...cuts, bytes.length];
  const chunks = edges.slice(1).map((end, i) => bytes.subarray(edges[i], end));
  const out: Buffer[] = [];
  await new Promise<void>((ok, fail) => {
    Readable.from(chunks).pipe(t).on('data', (c: Buffer) => out.push(c)).on('end', ok).on('error', fail);
  });
  return Buffer.concat(out).toString();
}

describe('export streams: COPY output to the export formats', () => {
  it('ends CSV records with CRLF but keeps line breaks inside quoted fields, across chunk edges', async () => {
    const copy = 'a,b\n"x\ny","say ""hi"""\nplain,row\n';
    const want = 'h1,h2\r\na,b\r\n"x\ny","say ""hi"""\r\nplain,row\r\n';
    for (const cuts of [[], [1], [5], [6, 7], [9, 10, 11, 12], Array.from({ length: copy.length - 1 }, (_, i) => i + 1)]) {
      expect(await through(new CsvLineEndings('h1,h2\r\n'), copy, cuts), `cuts ${cuts}`).to.equal(want);
    }
  });

  it('undoes COPY text escaping of backslashes, even when a pair is split between chunks', async () => {
    const copy = '{"p":"C:\\\\\\\\dir","q":"say \\\\"hi\\\\""}\n';
    const want = '{"p":"C:\\\\dir","q":"say \\"hi\\""}\n';
    expect(JSON.parse(want)).to.deep.equal({ p: 'C:\\dir', q: 'say "hi"' });
    for (let cut = 1; cut < copy.length; cut++) {
      expect(await through(new UnescapeCopyText(), copy, [cut]), `cut ${cut}`).to.equal(want);
    }
    expect(await through(new UnescapeCopyText(), copy, Array.from({ length: copy.length - 1 }, (_, i) => i + 1))).to.equal(want);
  });
});
