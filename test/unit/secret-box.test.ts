import { expect } from 'chai';
import { createSecretBox } from '../../core/notifications/secret-box.ts';
import { generateSecret } from '../../core/notifications/signing.ts';

/** Replaces one character of a base64url field with another valid one. */
function flip(sealed: string, field: number): string {
  const parts = sealed.split('.');
  const text = parts[field];
  parts[field] = (text[0] === 'A' ? 'B' : 'A') + text.slice(1);
  return parts.join('.');
}

describe('secret box: webhook secrets encrypted at rest', () => {
  const box = createSecretBox('operator key material');

  it('seals to v1.<iv>.<tag>.<ciphertext> and opens back to the secret', () => {
    const secret = generateSecret();
    const sealed = box.seal(secret);
    expect(sealed).to.match(/^v1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]+$/);
    expect(sealed).to.not.include(secret.slice(6, 20));
    expect(box.open(sealed)).to.equal(secret);
  });

  it('uses a fresh IV, so the same secret seals differently each time', () => {
    expect(box.seal('same')).to.not.equal(box.seal('same'));
  });

  it('round-trips empty and non-ASCII text', () => {
    expect(box.open(box.seal(''))).to.equal('');
    expect(box.open(box.seal('Zürich ✓ 東京'))).to.equal('Zürich ✓ 東京');
  });

  it('accepts key material of any length (HKDF) and the same material opens across instances', () => {
    const sealed = createSecretBox('k').seal('x');
    expect(createSecretBox('k').open(sealed)).to.equal('x');
    expect(createSecretBox('k'.repeat(500)).open(createSecretBox('k'.repeat(500)).seal('y'))).to.equal('y');
  });

  it('throws when the IV, tag or ciphertext was tampered with', () => {
    const sealed = box.seal(generateSecret());
    for (const field of [1, 2, 3]) expect(() => box.open(flip(sealed, field)), `field ${field}`).to.throw(/failed authentication/);
  });

  it('throws on a truncated tag, a wrong version or a malformed value', () => {
    const [, iv, tag, ct] = box.seal('secret').split('.');
    expect(() => box.open(`v1.${iv}.${tag.slice(0, 8)}.${ct}`)).to.throw(/malformed IV or tag/);
    expect(() => box.open(`v2.${iv}.${tag}.${ct}`)).to.throw(/format/);
    expect(() => box.open('not sealed')).to.throw(/format/);
    expect(() => box.open(`v1.${iv}.${tag}.${ct}+`)).to.throw(/format/);
  });

  it('a different key cannot open it', () => {
    const sealed = box.seal('secret');
    expect(() => createSecretBox('another key').open(sealed)).to.throw(/failed authentication/);
  });

  it('refuses empty key material', () => {
    expect(() => createSecretBox('')).to.throw(/must not be empty/);
  });
});
