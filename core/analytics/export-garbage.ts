// An export's garbage, collected as it is made. Each 64 KB of COPY output leaves a few buffers behind (the socket read,
// pg-copy-streams' copy of it, the CSV stage's), whose memory outside V8's heap goes back only when a scavenge finds
// them dead. A busy server's young generation is large (up to 128 MB here), so scavenges came seldom and the buffers
// waiting for one added 12-50 MB to the server's RSS during a 1 M-row export; one scavenge every MiB keeps it to
// 6-10 MB. Each is a pause of the main thread (~2 ms on an idle server, more with more live young objects), which
// requests in flight wait through too, while an export runs (docs/performance.md, twenty-fourth session).
import { Transform, type TransformCallback } from 'node:stream';
import { v8Gc } from '../infra/gc.ts';

/** Bytes of export between two scavenges. */
export const SCAVENGE_EVERY_BYTES = 2 ** 20;

const scavenge = () => v8Gc()({ type: 'minor' });

/** Passes bytes through, and has V8 scavenge its young generation (`collect`) after every `every` bytes. */
export class ScavengeEvery extends Transform {
  private bytes = 0;
  private readonly bytesBetween: number;
  private readonly collect: () => void;

  constructor(every = SCAVENGE_EVERY_BYTES, collect = scavenge) {
    super();
    this.bytesBetween = every;
    this.collect = collect;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback) {
    this.bytes += chunk.length;
    if (this.bytes >= this.bytesBetween) {
      this.bytes = 0;
      this.collect();
    }
    done(null, chunk);
  }
}
