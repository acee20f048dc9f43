// Keeps process.nextTick on V8's fast path for the life of the process (docs/performance.md, thirty-sixth session).
//
// Node 24's nextTick builds `{ [async_id_symbol]: …, [trigger_async_id_symbol]: …, [async_context_frame]: …, callback,
// args }`. At each property V8 remembers, weakly, the hidden class the object had before it. Those classes are held only
// by tick objects alive at the time, so a major GC while the tick queue is empty (the server's start-garbage GC, or V8's
// idle memory reducer a few seconds after start) clears them; the next call then finds a cleared entry, which V8 reads
// as a second class, and the site goes megamorphic for good. From then on the optimized nextTick defines four of its
// five properties through the runtime: ~2.5 µs of CPU a redirect (five nextTicks in Node's request and response
// streams), 3-4 % of the redirect process's on-CPU samples. One tick object kept alive keeps its classes (and so every
// entry) alive.
//
// The tick object is the running tick's async resource. Not taken with an async_hooks init hook: enabling one installs
// V8 promise hooks, which break V8's PromiseHook protector for good, and optimized code then stops inlining awaits and
// promise reactions (an await-heavy loop ran ~2× slower). executionAsyncResource() only makes native callbacks report
// their resource through a JS trampoline, which no socket round trip here could tell from noise.
import { executionAsyncResource } from 'node:async_hooks';

let kept: object | undefined;

/** Call before the process's first major GC; a site that went megamorphic never returns. Idempotent. */
export function keepTickShape(): void {
  if (kept) return;
  process.nextTick(() => {
    kept ??= executionAsyncResource();
  });
}
