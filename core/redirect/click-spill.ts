// Where clicks go when the ClickBuffer is full (PostgreSQL down longer than the buffer lasts): an
// append-only NDJSON file under DATA_DIR, fsync'd in batches and replayed in order once the buffer
// has drained. Replay is at-least-once (a crash between a batch's commit and the deletion of its
// segment replays it), which the clicks' primary key makes exactly-once: INSERT_BATCH skips rows it
// already has and builds rollups only from rows it inserted.
import { mkdirSync, readdirSync, renameSync, rmdirSync, statSync } from 'node:fs';
import { open, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { alive } from '../infra/process.ts';
import type { ClickRow } from './click-buffer.ts';
import { clicksDropped, clicksSpilled, trackSpill } from './metrics.ts';

export interface ClickSpillOptions {
  /** DATA_DIR/click-spill; each process writes to its own p<pid> folder in it. */
  dir: string;
  /** Disk budget: bytes on disk plus bytes waiting to be written. */
  maxBytes: number;
  log: Logger;
  /** A segment is deleted once replayed, so a long outage's disk is given back while it drains. */
  segmentBytes?: number;
}

interface Segment {
  path: string;
  /** Bytes written and fsync'd: all a reader may see. */
  size: number;
}

/** One batch read from the spill; `done()` after the batch is committed moves past it. */
export interface SpillBatch {
  rows: ClickRow[];
  done(): Promise<void>;
}

const NEWLINE = 0x0a;
const READ_CHUNK = 1 << 20;

export class ClickSpill {
  private readonly opts: Required<ClickSpillOptions>;
  private readonly segments: Segment[] = [];
  private writer: { handle: Promise<FileHandle>; segment: Segment } | null = null;
  private pending: string[] = [];
  private pendingBytes = 0;
  /** Sum of the segments' sizes (kept, not summed per click: a long outage has hundreds of segments). */
  private diskBytes = 0;
  private writing: Promise<void> | null = null;
  private readOffset = 0;
  private seq = 0;
  private replayedSinceStart = 0;
  private budgetWarned = false;
  private readonly untrack: () => void;
  /** While true every new click goes behind what is spilled, so clicks are written in the order they came. */
  active = false;

  private readonly own: string;

  constructor(opts: ClickSpillOptions) {
    this.opts = { segmentBytes: 4 << 20, ...opts };
    this.own = join(opts.dir, `p${process.pid}`);
    mkdirSync(this.own, { recursive: true });
    adoptOrphans(opts.dir, this.own);
    // Segments left by an earlier process (it stopped while PostgreSQL was down, or crashed) come first.
    for (const name of readdirSync(this.own).filter((n) => n.endsWith('.ndjson')).sort()) {
      const path = join(this.own, name);
      this.segments.push({ path, size: statSync(path).size });
      this.diskBytes += this.segments.at(-1)!.size;
    }
    if (this.bytes > 0) {
      this.active = true;
      opts.log.warn({ bytes: this.bytes, dir: opts.dir }, 'clicks spilled by an earlier run will be written to PostgreSQL');
    }
    this.untrack = trackSpill(this);
  }

  /** Bytes on disk and waiting for the disk. */
  get bytes(): number {
    return this.diskBytes + this.pendingBytes - this.readOffset;
  }

  /** Appends a click; false when the disk budget is exhausted (the caller counts it as dropped). */
  append(row: ClickRow): boolean {
    const line = `${JSON.stringify(row)}\n`;
    const size = Buffer.byteLength(line);
    if (this.bytes + size > this.opts.maxBytes) {
      if (!this.budgetWarned) {
        this.budgetWarned = true;
        this.opts.log.error({ maxBytes: this.opts.maxBytes }, 'click spill budget (CLICK_SPILL_MAX_MB) exhausted: further clicks are redirected but not stored');
      }
      return false;
    }
    if (!this.active) {
      this.active = true;
      this.replayedSinceStart = 0;
      this.opts.log.warn({ dir: this.opts.dir }, 'click buffer full (CLICK_BUFFER_MAX): spilling clicks to disk until PostgreSQL catches up');
    }
    this.pending.push(line);
    this.pendingBytes += size;
    clicksSpilled.inc();
    this.writing ??= this.writePending().finally(() => (this.writing = null));
    return true;
  }

  /** Group commit: whatever arrived while the previous write+fsync ran goes out in the next one. */
  private async writePending(): Promise<void> {
    while (this.pending.length > 0) {
      const lines = this.pending;
      const bytes = this.pendingBytes;
      this.pending = [];
      try {
        if (!this.writer || this.writer.segment.size >= this.opts.segmentBytes) this.rotate();
        const { handle, segment } = this.writer!;
        const fh = await handle;
        await fh.write(lines.join(''));
        await fh.datasync();
        segment.size += bytes;
        this.diskBytes += bytes;
      } catch (err) {
        this.opts.log.error({ err: (err as Error).message, clicks: lines.length }, 'clicks could not be written to the spill file; they are lost');
        clicksDropped.inc({ reason: 'spill_failed' }, lines.length);
        this.writer = null; // the next batch starts a fresh segment
      } finally {
        this.pendingBytes -= bytes;
      }
    }
  }

  private rotate(): void {
    void this.closeWriter();
    const name = `${String(Date.now()).padStart(15, '0')}-${String(this.seq++).padStart(6, '0')}.ndjson`;
    const segment: Segment = { path: join(this.own, name), size: 0 };
    this.segments.push(segment);
    const handle = open(segment.path, 'a');
    handle.catch(() => {}); // reported by the write that awaits it
    this.writer = { handle, segment };
  }

  private async closeWriter(): Promise<void> {
    const w = this.writer;
    this.writer = null;
    if (w) await (await w.handle.catch(() => null))?.close();
  }

  /**
   * The oldest spilled clicks not yet replayed, at most `max`; null when nothing written is left,
   * in which case the spill has drained and new clicks go back to memory.
   */
  async read(max: number): Promise<SpillBatch | null> {
    for (;;) {
      const segment = this.segments[0];
      if (!segment) return this.drained();
      const writing = this.writer?.segment === segment;
      if (this.readOffset >= segment.size) {
        if (writing && (this.pending.length > 0 || this.writing)) return null; // more is on its way to this segment
        await this.discardFirst();
        continue;
      }
      const fh = await open(segment.path, 'r');
      let chunk: Buffer;
      try {
        const buf = Buffer.alloc(Math.min(READ_CHUNK, segment.size - this.readOffset));
        const { bytesRead } = await fh.read(buf, 0, buf.length, this.readOffset);
        chunk = buf.subarray(0, bytesRead);
      } finally {
        await fh.close();
      }
      const rows: ClickRow[] = [];
      let consumed = 0;
      while (rows.length < max) {
        const end = chunk.indexOf(NEWLINE, consumed);
        if (end < 0) break;
        const row = parseRow(chunk.subarray(consumed, end).toString('utf8'));
        if (row) rows.push(row);
        else this.opts.log.error({ file: segment.path, offset: this.readOffset + consumed }, 'unreadable line in the click spill skipped');
        consumed = end + 1;
      }
      if (consumed === 0) {
        // An unfinished last line (a crash mid-write) in a segment no one writes to any more.
        if (!writing) {
          this.opts.log.warn({ file: segment.path }, 'incomplete last line of a click spill segment skipped');
          await this.discardFirst();
          continue;
        }
        return null;
      }
      const offset = this.readOffset;
      return {
        rows,
        done: async () => {
          if (this.segments[0] !== segment || this.readOffset !== offset) return;
          this.readOffset += consumed;
          this.replayedSinceStart += rows.length;
        },
      };
    }
  }

  private async discardFirst(): Promise<void> {
    const segment = this.segments.shift()!;
    this.readOffset = 0;
    this.diskBytes -= segment.size;
    if (this.writer?.segment === segment) await this.closeWriter();
    await unlink(segment.path).catch(() => {});
  }

  private drained(): null {
    if (this.active && this.pending.length === 0 && !this.writing) {
      this.active = false;
      this.budgetWarned = false;
      this.opts.log.warn({ replayed: this.replayedSinceStart }, 'click spill drained: every spilled click is in PostgreSQL');
    }
    return null;
  }

  /** Resolves once every appended click is on disk (fsync'd). */
  async settled(): Promise<void> {
    while (this.writing) await this.writing;
  }

  /** Waits for pending clicks to reach the disk; what is spilled stays there for the next start. */
  async close(): Promise<void> {
    await this.settled();
    await this.closeWriter();
    if (this.bytes > 0) this.opts.log.warn({ bytes: this.bytes, dir: this.own }, 'clicks left in the spill; they are written when the server next starts');
    else {
      try {
        rmdirSync(this.own); // nothing to hand on: no folder left behind per process that ran
      } catch {
        // not empty: a segment a failed write left; the next start deals with it
      }
    }
    this.untrack();
  }
}

/** Opens the spill, or runs without one (clicks beyond the buffer dropped, as logged) if DATA_DIR is not writable. */
export function openClickSpill(opts: ClickSpillOptions): ClickSpill | undefined {
  try {
    return new ClickSpill(opts);
  } catch (err) {
    opts.log.error({ err: (err as Error).message, dir: opts.dir }, 'click spill unavailable: clicks beyond CLICK_BUFFER_MAX will be dropped');
    return undefined;
  }
}

/**
 * Several processes may share DATA_DIR: each spills into its own folder, and a starting process
 * takes over the segments of processes that are gone (file by file: a rename is atomic, so two
 * starting at once never both take one).
 */
function adoptOrphans(dir: string, own: string): void {
  for (const sub of readdirSync(dir)) {
    const pid = /^p(\d+)$/.exec(sub)?.[1];
    const from = join(dir, sub);
    if (!pid || from === own || alive(Number(pid))) continue;
    for (const name of readdirSync(from).filter((n) => n.endsWith('.ndjson'))) {
      try {
        renameSync(join(from, name), join(own, `${name.slice(0, -'.ndjson'.length)}-${sub}.ndjson`));
      } catch {
        // taken by another process starting now
      }
    }
    try {
      rmdirSync(from);
    } catch {
      // not empty yet (another process adopting) or already gone
    }
  }
}

function parseRow(line: string): ClickRow | null {
  try {
    const row = JSON.parse(line) as ClickRow & { occurredAt: string };
    return { ...row, occurredAt: new Date(row.occurredAt) };
  } catch {
    return null;
  }
}
