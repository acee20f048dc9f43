import { expect } from 'chai';
import { csvRow, ndjsonRow, EXPORT_COLUMNS } from '../../core/analytics/csv.ts';

describe('analytics export rows (seed workflow 4: export the data for manual review)', () => {
  describe('csvRow: RFC 4180', () => {
    it('joins plain fields with commas and ends the record with CRLF', () => {
      expect(csvRow(['a', 'b', 'c'])).to.equal('a,b,c\r\n');
    });
    it('the header row is the export columns in contract order', () => {
      expect(csvRow(EXPORT_COLUMNS)).to.equal(
        'clickId,campaignId,occurredAt,country,segment,referrer,source,isBot,botReason,converted,conversions,value,currency,sub1,sub2,sub3,sub4,sub5\r\n',
      );
    });
    it('quotes fields holding a comma, a quote, CR or LF, doubling the quotes', () => {
      expect(csvRow(['a,b'])).to.equal('"a,b"\r\n');
      expect(csvRow(['say "hi"'])).to.equal('"say ""hi"""\r\n');
      expect(csvRow(['line1\nline2'])).to.equal('"line1\nline2"\r\n');
      expect(csvRow(['line1\r\nline2'])).to.equal('"line1\r\nline2"\r\n');
    });
    it('leaves other text, including tabs inside and non-ASCII, unquoted', () => {
      expect(csvRow(['a\tb', 'Zürich', 'партнёр'])).to.equal('a\tb,Zürich,партнёр\r\n');
    });
    it('null and undefined are empty; booleans are true/false; Dates are ISO', () => {
      const at = new Date('2026-02-25T10:00:00.000Z');
      expect(csvRow([null, undefined, true, false, at])).to.equal(',,true,false,2026-02-25T10:00:00.000Z\r\n');
    });
    it('an empty row is a lone CRLF, an empty string is an empty field', () => {
      expect(csvRow([])).to.equal('\r\n');
      expect(csvRow(['', ''])).to.equal(',\r\n');
    });
  });

  describe('csvRow: formula injection', () => {
    for (const [cell, safe] of [
      ['=HYPERLINK("http://evil.example","x")', `"'=HYPERLINK(""http://evil.example"",""x"")"`],
      ['+1+1', "'+1+1"],
      ['-2+3+cmd|" /C calc"!A0', `"'-2+3+cmd|"" /C calc""!A0"`],
      ['@SUM(A1:A2)', "'@SUM(A1:A2)"],
      ['\t=1+1', "'\t=1+1"],
      ['\r=1+1', `"'\r=1+1"`],
    ] as const) {
      it(`neutralises ${JSON.stringify(cell)}`, () => {
        expect(csvRow([cell])).to.equal(`${safe}\r\n`);
      });
    }
    it('leaves the sign characters alone when not leading', () => {
      expect(csvRow(['a=b', 'x-y', 'me@example.com'])).to.equal('a=b,x-y,me@example.com\r\n');
    });
  });

  describe('csvRow: numbers stay numbers', () => {
    it('negative and fractional numbers are written as is', () => {
      expect(csvRow([-5, 24.99, -0.5, 0, 1e21])).to.equal('-5,24.99,-0.5,0,1e+21\r\n');
    });
    it('a string that is only a negative decimal (a NUMERIC column) is not prefixed', () => {
      expect(csvRow(['-24.99', '-5'])).to.equal('-24.99,-5\r\n');
    });
    it('NaN and Infinity are empty rather than text a spreadsheet misreads', () => {
      expect(csvRow([NaN, Infinity, -Infinity])).to.equal(',,\r\n');
    });
    it('bigints are written in full', () => {
      expect(csvRow([12345678901234567890n])).to.equal('12345678901234567890\r\n');
    });
  });

  describe('ndjsonRow', () => {
    it('is one JSON document and a newline', () => {
      const line = ndjsonRow({ clickId: 'c1', value: -5, isBot: false, botReason: null });
      expect(line).to.equal('{"clickId":"c1","value":-5,"isBot":false,"botReason":null}\n');
    });
    it('escapes newlines inside strings so a record never spans lines', () => {
      const line = ndjsonRow({ referrer: 'a\nb\r\nc' });
      expect(line.split('\n')).to.have.length(2);
      expect(JSON.parse(line)).to.deep.equal({ referrer: 'a\nb\r\nc' });
    });
    it('writes Dates as ISO strings and bigints as strings', () => {
      const line = ndjsonRow({ occurredAt: new Date('2026-02-25T10:00:00Z'), conversions: 3n });
      expect(line).to.equal('{"occurredAt":"2026-02-25T10:00:00.000Z","conversions":"3"}\n');
    });
  });
});
