// The few lines of ustar the embedded database's template needs: regular files and directories with
// short relative names, packed from a folder and unpacked into one (what `tar -xf` would also read).
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
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

/** Packs every file and folder under `dir` (names relative to it, sorted) but `skip(name)`, then `extra` files. */
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
  walk('');
  for (const e of opts.extra ?? []) parts.push(...fileEntry(e.name, e.data));
  parts.push(Buffer.alloc(BLOCK * 2));
  return Buffer.concat(parts);
}

export interface TarEntry {
  name: string;
  dir: boolean;
  data: Buffer;
}

/** The entries of a ustar archive; refuses names that would leave the folder they are unpacked into. */
export function readTar(tar: Buffer): TarEntry[] {
  const entries: TarEntry[] = [];
  for (let at = 0; at + BLOCK <= tar.length; ) {
    const h = tar.subarray(at, at + BLOCK);
    if (h.every((b) => b === 0)) break;
    const field = (from: number, len: number) => h.toString('utf8', from, from + len).replace(/\0.*$/s, '');
    const prefix = field(345, 155);
    const name = (prefix ? `${prefix}/` : '') + field(0, 100);
    const size = parseInt(field(124, 12).trim() || '0', 8);
    const type = field(156, 1);
    const clean = normalize(name.replace(/^\/+/, '')).replace(/[\\/]+$/, '');
    if (!clean || clean === '.' || clean.split(sep).includes('..')) throw new Error(`tar: unsafe entry name ${JSON.stringify(name)}`);
    if (type === '5' || type === '0' || type === '') entries.push({ name: clean, dir: type === '5', data: tar.subarray(at + BLOCK, at + BLOCK + size) });
    at += BLOCK + Math.ceil(size / BLOCK) * BLOCK;
  }
  return entries;
}

/** Writes entries under `dir` (folders 0700, files 0600), in order; `last` names files written after all others. */
export function unpack(entries: TarEntry[], dir: string, last: (name: string) => boolean = () => false): void {
  const write = (e: TarEntry) => {
    const path = join(dir, e.name);
    if (e.dir) mkdirSync(path, { recursive: true, mode: 0o700 });
    else {
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
      writeFileSync(path, e.data, { mode: 0o600 });
    }
  };
  for (const e of entries) if (!last(e.name)) write(e);
  for (const e of entries) if (last(e.name)) write(e);
}
