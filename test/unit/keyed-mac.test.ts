import { expect } from 'chai';
import { createHmac, randomBytes } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';
import { createCtxCodec } from '../../core/redirect/ctx-token.ts';
import { keyedMac } from '../../core/redirect/keyed-mac.ts';

const nodeHmac = (key: Uint8Array, message: Uint8Array, bytes: number) => createHmac('sha256', key).update(message).digest().subarray(0, bytes);

describe('keyed MAC (HMAC-SHA256 with the key hashed once)', () => {
  it('equals node:crypto HMAC-SHA256 for keys shorter and longer than a block and messages of every length up to 3 blocks', () => {
    for (const keyLength of [1, 22, 32, 64, 65, 200]) {
      const key = randomBytes(keyLength);
      const mac = keyedMac(key, 32);
      // One MAC called again and again: each tag starts from the key's states, not from the last message.
      for (let length = 0; length <= 192; length++) {
        const message = randomBytes(length);
        expect(Buffer.from(mac(message)).toString('hex'), `key ${keyLength} B, message ${length} B`).to.equal(nodeHmac(key, message, 32).toString('hex'));
      }
    }
  });

  it('gives each tag from the key alone: shorter messages after longer ones, 0xff bytes, an empty key', () => {
    for (const key of [new Uint8Array(0), Buffer.alloc(64, 0xff), randomBytes(33)]) {
      const mac = keyedMac(key, 32);
      for (let length = 300; length >= 0; length -= 7) {
        const message = Buffer.alloc(length, 0xff);
        expect(Buffer.from(mac(message)).toString('hex'), `key ${key.length} B, message ${length} B`).to.equal(nodeHmac(key, message, 32).toString('hex'));
      }
    }
  });

  it('truncates to the bytes asked for', () => {
    const key = randomBytes(32);
    const message = randomBytes(50);
    expect(Buffer.from(keyedMac(key, 16)(message))).to.deep.equal(nodeHmac(key, message, 16));
  });

  it('signs ctx tokens that verify under the same secret only, and the MAC is the HMAC-SHA256 of the body', () => {
    const secret = 'k-new-0123456789abcdef';
    const token = createCtxCodec([secret]).sign({ clickId: uuidv7(), handle: 'acme', campaignId: 'partner-alpha', issuedAt: new Date(), windowDays: 30 });
    const raw = Buffer.from(token, 'base64url');
    const body = raw.subarray(0, raw.length - 16);
    expect(raw.subarray(raw.length - 16)).to.deep.equal(nodeHmac(Buffer.from(secret), body, 16));
    expect(createCtxCodec(['another-secret-0123456789']).verify(token)).to.deep.equal({ ok: false, reason: 'bad_signature' });
    expect(createCtxCodec(['another-secret-0123456789', secret]).verify(token).ok).to.equal(true);
  });
});
