import { _SHA256, sha256 } from '@noble/hashes/sha2.js';

const BLOCK = 64;
const WORDS = 8;

/**
 * SHA-256's compression function from @noble/hashes (its `process`), run from and into a chaining
 * state held by the caller: no hash object is cloned, finished or wiped per message.
 */
class Compression extends _SHA256 {
  /** Compresses `blocks` 64-byte blocks of `view`, starting from the state `from`; the result goes to `to`. */
  run(from: Int32Array, view: DataView, blocks: number, to: Int32Array): void {
    this.set(from[0], from[1], from[2], from[3], from[4], from[5], from[6], from[7]);
    for (let b = 0; b < blocks; b++) this.process(view, b * BLOCK);
    this.state(to);
  }

  /** Zeroes the shared message schedule (it held the key's pad after the setup's compressions). */
  wipe(): void {
    this.roundClean();
  }

  /** The current chaining state (after construction: SHA-256's initial value). */
  state(to: Int32Array): Int32Array {
    to[0] = this.A;
    to[1] = this.B;
    to[2] = this.C;
    to[3] = this.D;
    to[4] = this.E;
    to[5] = this.F;
    to[6] = this.G;
    to[7] = this.H;
    return to;
  }
}

/**
 * HMAC-SHA256 under one fixed key, for a MAC on every click (RFC 2104): the chaining states after the
 * key's inner and outer pads are computed once, so a tag costs the message's padded blocks and one
 * outer block through SHA-256's compression, with nothing allocated. node:crypto's createHmac per click
 * measured 20–30 µs of the redirect process's CPU under load (one object with a native handle per call);
 * @noble/hashes' hmac with its keyed state cloned per call spent more in cloning, padding and wiping its
 * objects than in compressing (docs/performance.md).
 *
 * Returns the first `bytes` bytes of the tag in a buffer reused by the next call: copy or compare it at once.
 */
export function keyedMac(key: Uint8Array, bytes: number): (message: Uint8Array) => Uint8Array {
  const sha = new Compression();
  const iv = sha.state(new Int32Array(WORDS));
  const pad = new Uint8Array(BLOCK);
  pad.set(key.length > BLOCK ? sha256(key) : key);
  const padded = (xor: number) => {
    const block = pad.map((b) => b ^ xor);
    const to = new Int32Array(WORDS);
    sha.run(iv, new DataView(block.buffer), 1, to);
    block.fill(0);
    return to;
  };
  const inner = padded(0x36);
  const outer = padded(0x5c);
  pad.fill(0);
  sha.wipe();

  // The message padded to whole blocks (grown for a longer message), and the outer hash's one block:
  // the inner digest, then padding for 64 + 32 bytes, the same for every tag.
  let message = new Uint8Array(2 * BLOCK);
  let messageView = new DataView(message.buffer);
  const outerBlock = new Uint8Array(BLOCK);
  const outerView = new DataView(outerBlock.buffer);
  outerBlock[32] = 0x80;
  outerView.setUint32(BLOCK - 4, (BLOCK + 32) * 8);
  const mid = new Int32Array(WORDS);
  const out = new Int32Array(WORDS);
  const tag = new Uint8Array(32);
  const tagView = new DataView(tag.buffer);
  const head = tag.subarray(0, bytes);

  return (data) => {
    const length = data.length;
    const blocks = ((length + 8) >> 6) + 1; // the data, 0x80 and the 8-byte bit length
    const size = blocks * BLOCK;
    if (size > message.length) {
      message = new Uint8Array(size);
      messageView = new DataView(message.buffer);
    }
    message.set(data);
    message[length] = 0x80;
    message.fill(0, length + 1, size - 8);
    const bits = (BLOCK + length) * 8; // the key's block counts
    messageView.setUint32(size - 8, Math.floor(bits / 0x1_0000_0000));
    messageView.setUint32(size - 4, bits >>> 0);
    sha.run(inner, messageView, blocks, mid);
    for (let i = 0; i < WORDS; i++) outerView.setInt32(4 * i, mid[i]);
    sha.run(outer, outerView, 1, out);
    for (let i = 0; i < WORDS; i++) tagView.setInt32(4 * i, out[i]);
    return head;
  };
}
