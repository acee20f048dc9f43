import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packDir, readTar, unpackStream } from '../../core/db/tar.ts';

describe('the embedded template\'s tar (core/db/tar.ts)', () => {
  const root = mkdtempSync(join(tmpdir(), 'tenx-tar-'));
  after(() => rmSync(root, { recursive: true, force: true }));

  it('packs a folder that unpacks to the same files (and that tar itself reads), skipping and adding files', async () => {
    const src = join(root, 'src');
    mkdirSync(join(src, 'base', '1'), { recursive: true });
    mkdirSync(join(src, 'empty'));
    writeFileSync(join(src, 'PG_VERSION'), '17\n');
    writeFileSync(join(src, 'base', '1', 'big'), Buffer.alloc(70_000, 7));
    writeFileSync(join(src, 'postmaster.pid'), '123');
    const tar = packDir(src, { skip: (n) => n === 'postmaster.pid', extra: [{ name: 'manifest.json', data: Buffer.from('{}') }] });
    const names = readTar(tar).map((e) => e.name);
    expect(names).to.deep.equal(['manifest.json', 'PG_VERSION', 'base', 'base/1', 'base/1/big', 'empty']);
    writeFileSync(join(root, 'a.tar'), tar);
    expect(execFileSync('tar', ['-tf', join(root, 'a.tar')], { encoding: 'utf8' }).trim().split('\n')).to.deep.equal(['manifest.json', 'PG_VERSION', 'base/', 'base/1/', 'base/1/big', 'empty/']);

    const out = join(root, 'out');
    await unpackStream([tar], out, { keep: () => false, kept: () => {}, beforeWrite: () => {} });
    expect(readFileSync(join(out, 'base', '1', 'big')).equals(Buffer.alloc(70_000, 7))).to.equal(true);
    expect(readFileSync(join(out, 'PG_VERSION'), 'utf8')).to.equal('17\n');
    expect(statSync(join(out, 'empty')).isDirectory()).to.equal(true);
    expect(statSync(join(out, 'PG_VERSION')).mode & 0o777).to.equal(0o600);
  });

  /** The archive in pieces of `size` bytes, as a stream would hand it over. */
  async function* pieces(tar: Buffer, size: number) {
    for (let i = 0; i < tar.length; i += size) yield tar.subarray(i, i + size);
  }

  it('unpacks a stream in any piece size, handing kept entries over instead of writing them', async () => {
    const src = join(root, 'stream-src');
    mkdirSync(join(src, 'base', '1'), { recursive: true });
    writeFileSync(join(src, 'PG_VERSION'), '17\n');
    writeFileSync(join(src, 'base', '1', 'big'), Buffer.alloc(70_001, 3));
    writeFileSync(join(src, 'base', '1', 'empty-file'), '');
    const tar = packDir(src, { extra: [{ name: 'manifest.json', data: Buffer.from('{"v":1}') }] });
    for (const size of [1, 100, 511, 512, 4096, tar.length]) {
      const out = join(root, `stream-out-${size}`);
      const kept: Record<string, string> = {};
      let checks = 0;
      await unpackStream(pieces(tar, size), out, {
        keep: (n) => n === 'manifest.json' || n === 'PG_VERSION',
        kept: (n, data) => (kept[n] = data.toString()),
        beforeWrite: () => {
          checks++;
          expect(kept['manifest.json'], 'the manifest is read before anything is written').to.equal('{"v":1}');
        },
      });
      expect(kept).to.deep.equal({ 'manifest.json': '{"v":1}', PG_VERSION: '17\n' });
      expect(checks).to.equal(1);
      expect(existsSync(join(out, 'PG_VERSION'))).to.equal(false);
      expect(readFileSync(join(out, 'base', '1', 'big')).equals(Buffer.alloc(70_001, 3)), `piece size ${size}`).to.equal(true);
      expect(readFileSync(join(out, 'base', '1', 'empty-file'), 'utf8')).to.equal('');
    }
  });

  it('writes nothing when the check before the first write refuses, and reports an archive cut short', async () => {
    const src = join(root, 'refuse-src');
    mkdirSync(join(src, 'base'), { recursive: true });
    writeFileSync(join(src, 'base', 'f'), Buffer.alloc(2000, 1));
    const tar = packDir(src, { extra: [{ name: 'manifest.json', data: Buffer.from('{}') }] });
    const out = join(root, 'refused');
    mkdirSync(out);
    const refuse = { keep: (n: string) => n === 'manifest.json', kept: () => {}, beforeWrite: () => { throw new Error('other build'); } };
    let err = await unpackStream(pieces(tar, 64), out, refuse).then(() => null, (e: Error) => e);
    expect(err?.message).to.equal('other build');
    expect(readdirSync(out)).to.deep.equal([]);
    const accept = { ...refuse, beforeWrite: () => {} };
    err = await unpackStream(pieces(tar.subarray(0, 2048), 64), join(root, 'cut'), accept).then(() => null, (e: Error) => e);
    expect(err?.message).to.match(/cut short/);
    // Cut between two entries (after base/'s header): still not a whole archive.
    err = await unpackStream(pieces(tar.subarray(0, 1536), 64), join(root, 'cut-between'), accept).then(() => null, (e: Error) => e);
    expect(err?.message).to.match(/cut short/);
  });

  it('refuses entry names that would leave the folder', () => {
    for (const name of ['../escape', 'a/../../escape']) {
      const src = join(root, 'evil');
      rmSync(src, { recursive: true, force: true });
      mkdirSync(src);
      const tar = packDir(src, { extra: [{ name, data: Buffer.from('x') }] });
      expect(() => readTar(tar), name).to.throw(/unsafe entry name/);
    }
  });
});
