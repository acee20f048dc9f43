// A loopback PostgreSQL wire-protocol server in front of one PGlite instance. PGlite is a single
// backend session, so every connection's messages must reach it one whole client turn at a time
// (Parse/Bind/Describe/Execute/Sync together), and an open transaction must see only its owner's
// turns. pglite-socket queues single messages instead, which lets turns of concurrent connections
// interleave (wrong parameters, another statement's rows).
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { PGlite } from '@electric-sql/pglite';

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;
const PROTOCOL_3 = 196608;
const TERMINATE = 0x58; // 'X'
const FLUSH = 0x48; // 'H'
const COPY_IN_RESPONSE = 0x47; // 'G' (backend)
// Messages after which the client waits for output: Sync, Query, CopyDone, CopyFail, Flush, Password.
const TURN_ENDS = new Set([0x53, 0x51, 0x63, 0x66, FLUSH, 0x70]);

interface Conn {
  id: number;
  socket: Socket;
  buf: Buffer;
  started: boolean;
  pending: Buffer[];
  closed: boolean;
  /** Prefix that keeps this connection's named statements/portals apart in PGlite's one session. */
  prefix: string;
  /** Named statements this connection prepared (prefixed), closed when it goes away. */
  statements: Set<string>;
}

/** One client turn (or the startup packet), or `null` bytes = release whatever the closed conn held. */
interface Unit {
  conn: Conn;
  bytes: Buffer | null;
  /** Type byte of the turn's last message (0 for the startup packet). */
  last: number;
}

/** Watches backend output for CopyInResponse: the client then streams CopyData and owns the session. */
class CopyInWatch {
  private need = 0;
  private head: number[] = [];
  seen = false;
  feed(d: Uint8Array): void {
    let i = 0;
    while (i < d.length) {
      if (this.need > 0) {
        const n = Math.min(this.need, d.length - i);
        this.need -= n;
        i += n;
        continue;
      }
      this.head.push(d[i++]);
      if (this.head.length === 5) {
        const [type, a, b, c, e] = this.head;
        if (type === COPY_IN_RESPONSE) this.seen = true;
        this.need = ((a << 24) | (b << 16) | (c << 8) | e) - 4;
        this.head = [];
      }
    }
  }
}

/**
 * Prefixes the non-empty names among `count` consecutive C strings from `at`: named prepared
 * statements are per connection in PostgreSQL but would be shared by all connections here.
 */
function prefixNames(msg: Buffer, at: number, count: number, prefix: string): { msg: Buffer; names: string[] } {
  const parts: Buffer[] = [msg.subarray(0, at)];
  const names: string[] = [];
  let from = at;
  for (let k = 0; k < count; k++) {
    const end = msg.indexOf(0, from);
    if (end < 0) return { msg, names: [] };
    const name = msg.toString('utf8', from, end);
    parts.push(Buffer.from(name ? `${prefix}${name}\0` : '\0'));
    names.push(name ? prefix + name : '');
    from = end + 1;
  }
  parts.push(msg.subarray(from));
  const out = Buffer.concat(parts);
  out.writeInt32BE(out.length - 1, 1);
  return { msg: out, names };
}

const message = (type: string, body: Buffer = Buffer.alloc(0)): Buffer => {
  const head = Buffer.alloc(5);
  head.write(type, 0, 'latin1');
  head.writeInt32BE(4 + body.length, 1);
  return Buffer.concat([head, body]);
};
const ROLLBACK = message('Q', Buffer.from('ROLLBACK\0'));
/**
 * Ends whatever a vanished owner left open, as PostgreSQL does on disconnect: fail a COPY FROM,
 * roll back (also an implicit transaction mid-turn), Sync out of an ignore-till-Sync error state,
 * then roll back once more in case the first ROLLBACK was skipped by that state.
 */
const releaseMessages = (copyIn: boolean): Buffer =>
  Buffer.concat([copyIn ? message('f', Buffer.from('client disconnected\0')) : Buffer.alloc(0), ROLLBACK, message('S'), ROLLBACK]);
/** Close (statement) messages and a Sync: forgets a vanished connection's prepared statements. */
const closeStatements = (names: Iterable<string>): Buffer =>
  Buffer.concat([...[...names].map((n) => message('C', Buffer.from(`S${n}\0`))), message('S')]);

export class PGliteServer {
  private server: Server | null = null;
  private readonly conns = new Set<Conn>();
  private queue: Unit[] = [];
  /** The connection the session belongs to between units (open transaction, Flush mid-turn, COPY FROM). */
  private owner: Conn | null = null;
  /** The owner is streaming COPY FROM data. */
  private ownerCopyIn = false;
  private pumping = false;
  private nextId = 1;

  private readonly db: PGlite;
  private readonly host: string;
  private readonly port: number;
  constructor(db: PGlite, host = '127.0.0.1', port = 0) {
    this.db = db;
    this.host = host;
    this.port = port;
  }

  async start(): Promise<{ host: string; port: number }> {
    await this.db.waitReady;
    const server = createServer((socket) => this.accept(socket));
    this.server = server;
    await new Promise<void>((ok, fail) => server.once('error', fail).listen(this.port, this.host, () => ok()));
    return { host: this.host, port: (server.address() as AddressInfo).port };
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    for (const conn of this.conns) conn.socket.destroy();
    if (server) await new Promise<void>((ok) => server.close(() => ok()));
  }

  private accept(socket: Socket): void {
    socket.setNoDelay(true);
    const conn: Conn = { id: this.nextId++, socket, buf: Buffer.alloc(0), started: false, pending: [], closed: false, prefix: `_c${this.nextId - 1}_`, statements: new Set() };
    this.conns.add(conn);
    socket.on('data', (chunk) => this.receive(conn, chunk));
    socket.on('error', () => socket.destroy());
    socket.on('close', () => this.closed(conn));
  }

  /** Splits the byte stream into messages and enqueues each completed turn as one unit. */
  private receive(conn: Conn, chunk: Buffer): void {
    if (conn.closed) return;
    let buf = conn.buf.length ? Buffer.concat([conn.buf, chunk]) : chunk;
    while (!conn.closed) {
      if (!conn.started) {
        // Untyped startup-phase packets: int32 length + int32 code.
        if (buf.length < 8) break;
        const len = buf.readInt32BE(0);
        const code = buf.readInt32BE(4);
        if (len < 8 || len > 10_000) return void conn.socket.destroy();
        if (buf.length < len) break;
        const packet = buf.subarray(0, len);
        buf = buf.subarray(len);
        if (code === SSL_REQUEST || code === GSSENC_REQUEST) conn.socket.write('N');
        else if (code === CANCEL_REQUEST) continue; // not supported, as in pglite-socket
        else if (code === PROTOCOL_3) {
          conn.started = true;
          this.enqueue({ conn, bytes: Buffer.from(packet), last: 0 });
        } else return void conn.socket.destroy();
        continue;
      }
      if (buf.length < 5) break;
      const end = 1 + buf.readInt32BE(1);
      if (end < 5) return void conn.socket.destroy();
      if (buf.length < end) break;
      const type = buf[0];
      const msg = buf.subarray(0, end);
      buf = buf.subarray(end);
      if (type === TERMINATE) {
        conn.pending = [];
        conn.socket.end();
        break;
      }
      conn.pending.push(this.renamed(conn, msg));
      if (TURN_ENDS.has(type)) {
        this.enqueue({ conn, bytes: Buffer.concat(conn.pending), last: type });
        conn.pending = [];
      }
    }
    conn.buf = buf;
  }

  /** Gives Parse/Bind/Describe/Close/Execute per-connection statement and portal names. */
  private renamed(conn: Conn, msg: Buffer): Buffer {
    switch (msg[0]) {
      case 0x50: { // Parse: statement name first
        const out = prefixNames(msg, 5, 1, conn.prefix);
        if (out.names[0]) conn.statements.add(out.names[0]);
        return out.msg;
      }
      case 0x42: return prefixNames(msg, 5, 2, conn.prefix).msg; // Bind: portal, statement
      case 0x45: return prefixNames(msg, 5, 1, conn.prefix).msg; // Execute: portal
      case 0x44: // Describe
      case 0x43: { // Close: 'S' | 'P', then the name
        const out = prefixNames(msg, 6, 1, conn.prefix);
        if (msg[0] === 0x43 && msg[5] === 0x53 && out.names[0]) conn.statements.delete(out.names[0]);
        return out.msg;
      }
      default: return msg;
    }
  }

  private closed(conn: Conn): void {
    if (conn.closed) return;
    conn.closed = true;
    this.conns.delete(conn);
    this.queue = this.queue.filter((u) => u.conn !== conn);
    this.enqueue({ conn, bytes: null, last: 0 });
  }

  private enqueue(unit: Unit): void {
    this.queue.push(unit);
    void this.pump();
  }

  /** Runs units in arrival order, except that while a connection owns the session only its units run. */
  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      for (;;) {
        const owner = this.owner;
        const i = owner ? this.queue.findIndex((u) => u.conn === owner) : 0;
        if (i < 0 || this.queue.length === 0) break;
        const [unit] = this.queue.splice(i, 1);
        await this.run(unit);
      }
    } finally {
      this.pumping = false;
    }
  }

  private async run({ conn, bytes, last }: Unit): Promise<void> {
    const { db } = this;
    if (!bytes) {
      // The connection is gone: give the session back, rolling back its transaction if it had one.
      const held = this.owner === conn;
      const copyIn = held && this.ownerCopyIn;
      if (held) [this.owner, this.ownerCopyIn] = [null, false];
      if (!held && !conn.statements.size) return;
      const bytes = Buffer.concat([held ? releaseMessages(copyIn) : Buffer.alloc(0), conn.statements.size ? closeStatements(conn.statements) : Buffer.alloc(0)]);
      // Its output goes nowhere, and says so: PGlite keeps the last stream's onRawData, and execProtocolRaw writes
      // into it, i.e. into the socket of whichever connection ran last, whose next query then took this
      // ReadyForQuery for its own answer (no rows) and its real answer for "unexpected" messages.
      await db.runExclusive(() => db.execProtocolRawStream(bytes, { onRawData: () => undefined })).catch(() => undefined);
      return;
    }
    const copyIn = new CopyInWatch();
    try {
      await db.runExclusive(() =>
        db.execProtocolRawStream(bytes, {
          onRawData: (data) => {
            copyIn.feed(data);
            if (!conn.closed && conn.socket.writable) conn.socket.write(Buffer.from(data));
          },
        }),
      );
      // After a Flush the client continues the same turn (e.g. Bind/Execute/Sync follow a Parse).
      this.owner = db.isInTransaction() || copyIn.seen || last === FLUSH ? conn : null;
      this.ownerCopyIn = copyIn.seen;
    } catch {
      // PGlite itself failed (not an SQL error, those are protocol output): drop the client.
      this.owner = conn;
      this.ownerCopyIn = copyIn.seen;
      conn.socket.destroy();
    }
  }
}
