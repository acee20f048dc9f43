// The few lines of ustar the embedded database's template needs: regular files and directories with
// short relative names, packed from a folder and unpacked into one (what `tar -xf` would also read).
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, statSync, writeSync } from 'node:fs';
import { dirname, join, normalize, sep } from 'node:path';

const BLOCK = 512;

function header(name: string, size: number, dir: boolean): Buffer {
  const h = Buffer.alloc(BLOCK);
  if (Buffer.byteLength(name) > 100) throw new Error(`tar: name longer than 100 bytes: ${name}`);
  h.write(name, 0, 'utf8');
  h.write(`${(dir ? 0o700 : 0o600).toString(8).padStart(7, '0')}\0`, 100, 'latin1');
  h.write('0000000\0', 108, 'latin1'); // uid
  h.write('0000000\0', 116, 'latin1'); // gid
  h.write(`${size.toString(8).padStart(11, '0')}\0`, 124, 'latin1');
  h.write(`${Math.floor(Date.now() / 1000).toString(8).padStart(11, '0')}\0`, 136, 'latin1');
  h.write(dir ? '5' : '0', 156, 'latin1');
  h.write('ustar\x0000', 257, 'latin1');
  h.fill(' ', 148, 156); // checksum is computed with its own field as spaces
  let sum = 0;
  for (const byte of h) sum += byte;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return h;
}

const fileEntry = (name: string, data: Buffer): Buffer[] => [header(name, data.length, false), data, Buffer.alloc((BLOCK - (data.length % BLOCK)) % BLOCK)];

/** Packs `extra` files, then every file and folder under `dir` (names relative to it, sorted) but `skip(name)`. */
export function packDir(dir: string, opts: { skip?: (name: string) => boolean; extra?: Array<{ name: string; data: Buffer }> } = {}): Buffer {
  const skip = opts.skip ?? (() => false);
  const parts: Buffer[] = [];
  const walk = (rel: string) => {
    for (const entry of readdirSync(join(dir, rel)).sort()) {
      const name = rel ? `${rel}/${entry}` : entry;
      if (skip(name)) continue;
      const path = join(dir, name);
      if (statSync(path).isDirectory()) {
        parts.push(header(`${name}/`, 0, true));
        walk(name);
      } else {
        parts.push(...fileEntry(name, readFileSync(path)));
      }
    }
  };
  // Extra files first: a reader learns what the archive is (its manifest) before any data file.
  for (const e of opts.extra ?? []) parts.push(...fileEntry(e.name, e.data));
  walk('');
  parts.push(Buffer.alloc(BLOCK * 2));
  return Buffer.concat(parts);
}

/** An entry as readTar returns it (tests and inspection; the server streams with unpackStream). */
export interface TarEntry {
  name: string;
  dir: boolean;
  data: Buffer;
}

interface Header {
  name: string;
  size: number;
  type: string;
}

/** A header block's name, size and type, or null for the zero block that ends the archive. */
function parseHeader(h: Buffer): Header | null {
  if (h.every((b) => b === 0)) return null;
  const field = (from: number, len: number) => h.toString('utf8', from, from + len).replace(/\0.*$/s, '');
  const prefix = field(345, 155);
  const name = (prefix ? `${prefix}/` : '') + field(0, 100);
  const clean = normalize(name.replace(/^\/+/, '')).replace(/[\\/]+$/, '');
  if (!clean || clean === '.' || clean.split(sep).includes('..')) throw new Error(`tar: unsafe entry name ${JSON.stringify(name)}`);
  return { name: clean, size: parseInt(field(124, 12).trim() || '0', 8), type: field(156, 1) };
}

const padding = (size: number) => (BLOCK - (size % BLOCK)) % BLOCK;

/** The entries of a ustar archive; refuses names that would leave the folder they are unpacked into. */
export function readTar(tar: Buffer): TarEntry[] {
  const entries: TarEntry[] = [];
  for (let at = 0; at + BLOCK <= tar.length; ) {
    const h = parseHeader(tar.subarray(at, at + BLOCK));
    if (!h) break;
    if (h.type === '5' || h.type === '0' || h.type === '') entries.push({ name: h.name, dir: h.type === '5', data: tar.subarray(at + BLOCK, at + BLOCK + h.size) });
    at += BLOCK + h.size + padding(h.size);
  }
  return entries;
}

export interface StreamUnpackOptions {
  /** Entries handed to `kept` (in memory) instead of written: a manifest, a file to write last. */
  keep(name: string): boolean;
  kept(name: string, data: Buffer): void;
  /** Called once, before the first write (may throw to write nothing). */
  beforeWrite(): void;
}

/**
 * Unpacks a ustar stream under `dir` as its chunks arrive (folders 0700, files 0600): no copy of the
 * whole archive in memory, which a process would otherwise keep in its RSS until a full GC.
 */
export async function unpackStream(chunks: AsyncIterable<Buffer> | Iterable<Buffer>, dir: string, opts: StreamUnpackOptions): Promise<void> {
  let buf: Buffer = Buffer.alloc(0);
  let skip = 0; // padding (or an ignored entry's data) still to pass over
  let entry: { h: Header; left: number; fd: number | null; parts: Buffer[] } | null = null;
  let wrote = false;
  const writing = () => {
    if (!wrote) opts.beforeWrite();
    wrote = true;
  };
  const finish = (e: NonNullable<typeof entry>) => {
    if (e.fd !== null) closeSync(e.fd);
    else opts.kept(e.h.name, Buffer.concat(e.parts));
    skip = padding(e.h.size);
    entry = null;
  };
  for await (const chunk of chunks) {
    buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
    for (;;) {
      if (skip) {
        const n = Math.min(skip, buf.length);
        [skip, buf] = [skip - n, buf.subarray(n)];
        if (skip) break;
      }
      if (!entry) {
        if (buf.length < BLOCK) break;
        const h = parseHeader(buf.subarray(0, BLOCK));
        buf = buf.subarray(BLOCK);
        if (!h) return;
        const path = join(dir, h.name);
        if (h.type === '5') {
          writing();
          mkdirSync(path, { recursive: true, mode: 0o700 });
        } else if (h.type !== '0' && h.type !== '') {
          skip = h.size + padding(h.size); // links and the like: not in a data directory
        } else {
          let fd: number | null = null;
          if (!opts.keep(h.name)) {
            writing();
            mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
            fd = openSync(path, 'w', 0o600);
          }
          entry = { h, left: h.size, fd, parts: [] };
          if (h.size === 0) finish(entry);
        }
        continue;
      }
      const n = Math.min(entry.left, buf.length);
      if (n === 0) break;
      const piece = buf.subarray(0, n);
      if (entry.fd !== null) writeSync(entry.fd, piece);
      else entry.parts.push(Buffer.from(piece));
      [entry.left, buf] = [entry.left - n, buf.subarray(n)];
      if (entry.left === 0) finish(entry);
    }
  }
  // No end-of-archive block: whatever was written is incomplete.
  if (entry) {
    const { fd } = entry as { fd: number | null };
    if (fd !== null) closeSync(fd);
  }
  throw new Error('tar: archive cut short');
}
