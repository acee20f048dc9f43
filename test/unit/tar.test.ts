import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packDir, readTar, unpack } from '../../core/db/tar.ts';

describe('the embedded template\'s tar (core/db/tar.ts)', () => {
  const root = mkdtempSync(join(tmpdir(), 'tenx-tar-'));
  after(() => rmSync(root, { recursive: true, force: true }));

  it('packs a folder that unpacks to the same files (and that tar itself reads), skipping and adding files', () => {
    const src = join(root, 'src');
    mkdirSync(join(src, 'base', '1'), { recursive: true });
    mkdirSync(join(src, 'empty'));
    writeFileSync(join(src, 'PG_VERSION'), '17\n');
    writeFileSync(join(src, 'base', '1', 'big'), Buffer.alloc(70_000, 7));
    writeFileSync(join(src, 'postmaster.pid'), '123');
    const tar = packDir(src, { skip: (n) => n === 'postmaster.pid', extra: [{ name: 'manifest.json', data: Buffer.from('{}') }] });
    const names = readTar(tar).map((e) => e.name);
    expect(names).to.deep.equal(['PG_VERSION', 'base', 'base/1', 'base/1/big', 'empty', 'manifest.json']);
    writeFileSync(join(root, 'a.tar'), tar);
    expect(execFileSync('tar', ['-tf', join(root, 'a.tar')], { encoding: 'utf8' }).trim().split('\n')).to.deep.equal(['PG_VERSION', 'base/', 'base/1/', 'base/1/big', 'empty/', 'manifest.json']);

    const out = join(root, 'out');
    unpack(readTar(tar), out, (n) => n === 'PG_VERSION');
    expect(readFileSync(join(out, 'base', '1', 'big')).equals(Buffer.alloc(70_000, 7))).to.equal(true);
    expect(readFileSync(join(out, 'PG_VERSION'), 'utf8')).to.equal('17\n');
    expect(statSync(join(out, 'empty')).isDirectory()).to.equal(true);
    expect(statSync(join(out, 'PG_VERSION')).mode & 0o777).to.equal(0o600);
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
