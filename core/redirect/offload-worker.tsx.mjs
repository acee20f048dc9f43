// Worker threads do not inherit tsx's loader on Node 20 (even with --import tsx in execArgv):
// when tenx runs from .ts sources, the pool loads this file, which registers tsx, then the worker.
import { register } from 'tsx/esm/api';

register();
const worker = await import('./offload-worker.ts');
export default worker.default;
