import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { waitFor } from './redirect.ts';

/** A private Redis a test may stop and start (the shared one must stay up for everyone else). */
export async function startRedis(port: number): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  await waitFor('redis-server', () => new Promise<boolean>((ok) => {
    const s = net.connect(port, '127.0.0.1', () => { s.destroy(); ok(true); }).on('error', () => ok(false));
  }), 5000);
  return child;
}
