import net from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * A TCP proxy in front of a shared service (PostgreSQL, Redis): the test can cut every proxied connection and refuse
 * new ones for a while (what a restart of the service looks like to its clients) without touching the service every
 * other test uses.
 */
export interface TcpProxy {
  /** `url` with host and port replaced by the proxy's. */
  urlFor(url: string): string;
  /** Destroys every proxied connection and refuses new ones until restore(). */
  cut(): Promise<void>;
  restore(): Promise<void>;
  /** Connections cut so far. */
  readonly cutConnections: number;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const sockets = new Set<net.Socket>();
  let cutConnections = 0;
  const server = net.createServer((client) => {
    const upstream = net.connect(target.port, target.host);
    sockets.add(client).add(upstream);
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  const listen = (port: number) => new Promise<void>((ok, fail) => server.once('error', fail).listen(port, '127.0.0.1', () => ok()));
  await listen(0);
  const port = (server.address() as AddressInfo).port;
  return {
    urlFor(url) {
      const u = new URL(url);
      u.hostname = '127.0.0.1';
      u.port = String(port);
      return u.toString();
    },
    async cut() {
      // Closed first, so a reconnect racing the cut is refused rather than accepted.
      const closed = new Promise<void>((ok) => server.close(() => ok()));
      cutConnections += [...sockets].filter((s) => s.remotePort !== target.port).length;
      for (const s of sockets) s.destroy();
      sockets.clear();
      await closed;
    },
    async restore() {
      await listen(port);
    },
    get cutConnections() {
      return cutConnections;
    },
    async close() {
      for (const s of sockets) s.destroy();
      if (server.listening) await new Promise<void>((ok) => server.close(() => ok()));
    },
  };
}
