import { expect } from 'chai';
import { displayWidth, formatTable } from '../../scripts/cli/output.ts';

// A CLI pass: `tenx partners list` with a partner named 日本語パートナー株式会社 pushed its row 12 columns out of
// line: widths were counted in UTF-16 units, and a terminal draws each of those characters two columns wide.
describe('CLI tables: columns measured as a terminal draws them', () => {
  it('counts wide characters twice, combining marks and joiners not at all', () => {
    expect(displayWidth('alpha')).to.equal(5);
    expect(displayWidth('日本語')).to.equal(6);
    expect(displayWidth('한국')).to.equal(4);
    expect(displayWidth('ＡＢ')).to.equal(4); // full-width forms
    expect(displayWidth('e\u0301')).to.equal(1); // e + a combining acute: one character on screen
    expect(displayWidth('👩‍💻')).to.equal(2); // a ZWJ sequence is one emoji
    expect(displayWidth('𠀋')).to.equal(2); // outside the BMP
  });

  it('lines up the column after a name in Japanese with the one after a name in ASCII', () => {
    const out = formatTable(
      [{ id: 'jp', name: '日本語パートナー株式会社', status: 'ACTIVE' }, { id: 'alpha', name: 'Alpha Media', status: 'SUSPENDED' }],
      [{ header: 'ID', value: (r) => r.id }, { header: 'NAME', value: (r) => r.name }, { header: 'STATUS', value: (r) => r.status }],
    );
    const columnOf = (line: string, word: string) => displayWidth(line.slice(0, line.indexOf(word)));
    const [head, jp, alpha] = out.trimEnd().split('\n');
    expect(columnOf(jp, 'ACTIVE')).to.equal(columnOf(head, 'STATUS'));
    expect(columnOf(alpha, 'SUSPENDED')).to.equal(columnOf(head, 'STATUS'));
  });
});
