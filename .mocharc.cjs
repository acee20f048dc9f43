// Mocha's settings. `npm test` adds --parallel: each worker process runs whole files, and the run's databases and
// Redis keys are named after mocha's main process (test/support/root-hooks.ts), so every worker's are swept at the end.
// One worker per core (at least 2, at most 4: PostgreSQL's default 100 connections): here, 2 workers took the whole
// `npm test` from 8:55 to 6:23; 3 took it to 5:11, but under that load two timing-sensitive tests failed once in 5 runs.
// TEST_JOBS=1 runs the files one after the other.
const { availableParallelism } = require('node:os');

module.exports = {
  extension: ['ts'],
  timeout: 20000,
  exit: true,
  require: ['test/support/root-hooks.ts'],
  jobs: Number(process.env.TEST_JOBS) || Math.max(2, Math.min(4, availableParallelism())),
};
