import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

// Webhook secrets at rest: AES-256-GCM under a key derived from operator config.

export interface SecretBox {
  /** `v1.<iv>.<tag>.<ciphertext>`, each base64url; a fresh random IV every call. */
  seal(plain: string): string;
  /** Throws when the sealed value was altered or sealed under another key. */
  open(sealed: string): string;
}

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const B64URL = /^[A-Za-z0-9_-]*$/;
// Binds ciphertexts to this scheme and version, so a value sealed for another purpose will not open.
const AAD = Buffer.from('tenx secret-box v1');

export function createSecretBox(keyMaterial: string): SecretBox {
  if (!keyMaterial) throw new Error('secret box key material must not be empty');
  // HKDF lets the operator configure a passphrase of any length and still get a uniform 256-bit key.
  const key = Buffer.from(hkdfSync('sha256', Buffer.from(keyMaterial, 'utf8'), 'tenx/secret-box', 'webhook-secrets/v1', 32));

  return {
    seal(plain) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
      cipher.setAAD(AAD);
      const ciphertext = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
      return [VERSION, iv, cipher.getAuthTag(), ciphertext].map((p) => (typeof p === 'string' ? p : p.toString('base64url'))).join('.');
    },

    open(sealed) {
      const parts = sealed.split('.');
      if (parts.length !== 4 || parts[0] !== VERSION || !parts.slice(1).every((p) => B64URL.test(p))) {
        throw new Error('sealed secret is not in the v1.<iv>.<tag>.<ciphertext> format');
      }
      const [iv, tag, ciphertext] = parts.slice(1).map((p) => Buffer.from(p, 'base64url'));
      // A short tag would weaken GCM's authentication, so insist on the full 16 bytes.
      if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) throw new Error('sealed secret has a malformed IV or tag');
      const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
      decipher.setAAD(AAD);
      decipher.setAuthTag(tag);
      try {
        return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8');
      } catch {
        throw new Error('sealed secret failed authentication: it was altered or sealed with another key');
      }
    },
  };
}
