// The send timeout of exports: a reader slower than a minimum speed is cut, so it cannot hold a
// database connection and an export slot for as long as it likes.
import { Transform, type TransformCallback } from 'node:stream';

export interface PaceLimits {
  /** The window over which the speed is measured (EXPORT_STALL_MS). */
  windowMs: number;
  /** Bytes per second the reader must take on average over a window (EXPORT_MIN_BYTES_PER_S). */
  minBytesPerS: number;
}

/** Why an export was cut: its reader took too little while rows were waiting for it. */
export class ExportStalled extends Error {
  readonly code = 'EXPORT_STALLED';
}

/**
 * The last stage of an export: passes bytes through and, once a window, checks the reader's pace.
 * Only a backed-up reader is judged: if this stage's buffer is full (or filled during the window)
 * the reader, not the database, is the slow side, and fewer bytes than the minimum went out, the
 * stream is destroyed with ExportStalled, which stops the COPY and closes the response.
 */
export class ExportPace extends Transform {
  private sent = 0;
  private backedUp = false;
  private flushed = false;
  private tailLength = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(limits: PaceLimits) {
    super();
    const minBytes = Math.max(1, (limits.minBytesPerS * limits.windowMs) / 1000);
    this.timer = setInterval(() => {
      if (this.flushed) {
        // No more rows pass through _transform: what the reader took is what left the buffer.
        this.sent += Math.max(0, this.tailLength - this.readableLength);
        this.tailLength = this.readableLength;
      }
      const slowReader = this.backedUp || this.readableLength >= this.readableHighWaterMark || (this.flushed && this.readableLength > 0);
      if (slowReader && this.sent < minBytes) {
        this.destroy(new ExportStalled(`export reader took ${this.sent} bytes in ${limits.windowMs} ms (minimum ${Math.ceil(minBytes)})`));
        return;
      }
      this.sent = 0;
      this.backedUp = false;
    }, limits.windowMs);
    this.timer.unref();
    // Judged until the reader has taken the last byte, not only until the COPY ends: a reader that
    // stops once every row was produced still holds the response (and its slot) open.
    this.once('end', () => clearInterval(this.timer));
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback) {
    // Transform only calls this when the reader has made room, so these bytes are (nearly) delivered.
    this.sent += chunk.length;
    if (!this.push(chunk)) this.backedUp = true;
    done();
  }

  override _destroy(err: Error | null, done: (err: Error | null) => void) {
    clearInterval(this.timer);
    done(err);
  }

  override _flush(done: TransformCallback) {
    // Rows are done; what is left waits in this stage's buffer for the reader, still judged by the timer.
    this.flushed = true;
    this.tailLength = this.readableLength;
    done();
  }
}
