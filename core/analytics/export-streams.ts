// Byte-level fix-ups between PostgreSQL's COPY output and the export formats, chunk by chunk.
import { Transform, type TransformCallback } from 'node:stream';

const LF = 0x0a;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const CRLF = Buffer.from('\r\n');

/**
 * COPY's CSV ends records with LF; RFC 4180 wants CRLF. Only record ends change: a line break
 * inside a quoted field is data. Quote state carries across chunks ("" toggles twice: no change).
 */
export class CsvLineEndings extends Transform {
  private quoted = false;

  constructor(header: string) {
    super();
    this.push(header);
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback) {
    const parts: Buffer[] = [];
    let start = 0;
    if (!this.quoted && chunk.indexOf(QUOTE) < 0) {
      // Fast path, most chunks: no quoted field, so every LF ends a record.
      for (let i = chunk.indexOf(LF); i >= 0; i = chunk.indexOf(LF, i + 1)) {
        parts.push(chunk.subarray(start, i), CRLF);
        start = i + 1;
      }
    } else {
      for (let i = 0; i < chunk.length; i++) {
        const b = chunk[i];
        if (b === QUOTE) this.quoted = !this.quoted;
        else if (b === LF && !this.quoted) {
          parts.push(chunk.subarray(start, i), CRLF);
          start = i + 1;
        }
      }
    }
    parts.push(chunk.subarray(start));
    done(null, Buffer.concat(parts));
  }
}

/**
 * COPY's text format doubles every backslash. The JSON lines it carries hold no raw control
 * characters (PostgreSQL escapes them in JSON), so `\\` is the only escape to undo.
 */
export class UnescapeCopyText extends Transform {
  private pendingBackslash = false;

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback) {
    let from = 0;
    if (this.pendingBackslash && chunk.length) {
      from = 1; // the second half of a pair split across chunks
      this.pendingBackslash = false;
    }
    const parts: Buffer[] = [];
    let start = from;
    for (let i = chunk.indexOf(BACKSLASH, from); i >= 0; i = chunk.indexOf(BACKSLASH, i + 2)) {
      parts.push(chunk.subarray(start, i + 1)); // keep one backslash of the pair
      if (i + 1 >= chunk.length) {
        this.pendingBackslash = true;
        start = chunk.length;
        break;
      }
      start = i + 2;
    }
    parts.push(chunk.subarray(start));
    done(null, parts.length === 1 ? parts[0] : Buffer.concat(parts));
  }
}
