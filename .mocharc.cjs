// Mocha's settings. `npm test` adds --parallel: each worker process runs whole files, and the run's databases and
// Redis keys are named after mocha's main process (test/support/root-hooks.ts), so every worker's are swept at the end.
// One worker per core plus one (at least 2, at most 4: PostgreSQL's default 100 connections). With one per core the
// CPU sat idle 29 % of the run (vmstat), while files waited on timers, retries and child processes; on 2 cores, mocha's
// part of the run took 333 s with 2 workers, 288 s and 294 s with 3 (idle 14 %), 280 s with 4 (idle 9 %), all passing.
// An earlier, CPU-bound machine saw two timing-sensitive tests fail once in 5 runs with 3 workers; here 3 ran twice beside
// a process spinning on one of the 2 cores (412-419 s): one failure the first time (ctx-snippet, fixed), none the second.
// TEST_JOBS=1 runs the files one after the other.
const { availableParallelism } = require('node:os');

module.exports = {
  extension: ['ts'],
  timeout: 20000,
  exit: true,
  require: ['test/support/root-hooks.ts'],
  jobs: Number(process.env.TEST_JOBS) || Math.max(2, Math.min(4, availableParallelism() + 1)),
};
