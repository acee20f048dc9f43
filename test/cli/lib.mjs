// Helpers for workflows.sh, in plain node so the shell script needs neither jq nor curl.
// Usage: node test/cli/lib.mjs <command> [args...]; exits non-zero with a message when a check fails.
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { Webhook } from 'standardwebhooks';

const [cmd, ...args] = process.argv.slice(2);
const fail = (msg) => {
  process.stderr.write(`check failed: ${msg}\n`);
  process.exit(1);
};
const withDb = (url, name) => Object.assign(new URL(url), { pathname: `/${name}` }).toString();

const commands = {
  /** A free TCP port on 127.0.0.1 (PORT=0 would not tell the script which one). */
  async 'free-port'() {
    const srv = net.createServer().listen(0, '127.0.0.1');
    await new Promise((r) => srv.once('listening', r));
    process.stdout.write(`${srv.address().port}\n`);
    srv.close();
  },

  /** create-db BASE_URL → prints the new database's URL. */
  async 'create-db'(base) {
    const name = `tenx_cli_${process.pid}_${randomBytes(3).toString('hex')}`;
    const c = new pg.Client({ connectionString: base });
    await c.connect();
    await c.query(`create database ${name}`);
    await c.end();
    process.stdout.write(`${withDb(base, name)}\n`);
  },

  async 'drop-db'(base, url) {
    const name = new URL(url).pathname.slice(1);
    if (!/^tenx_cli_\w+$/.test(name)) fail(`refusing to drop ${name}`);
    const c = new pg.Client({ connectionString: base });
    await c.connect();
    await c.query(`drop database if exists ${name} with (force)`);
    await c.end();
  },

  /** wait-ready URL SECONDS [PID]: polls /readyz; gives up at once if the server process PID has exited. */
  async 'wait-ready'(url, seconds = '30', pid = '') {
    const until = Date.now() + Number(seconds) * 1000;
    while (Date.now() < until) {
      try {
        if (pid) process.kill(Number(pid), 0);
      } catch {
        fail(`the server process exited before it was ready`);
      }
      try {
        if ((await fetch(`${url}/readyz`)).status === 200) return;
      } catch {
        // not up yet
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    fail(`server at ${url} not ready after ${seconds}s`);
  },

  /**
   * click URL [UA] [COUNTRY] [IP] [N]: requests a short link N times like a browser would, checks the 302,
   * prints each Location (the destination with ctx=) on its own line.
   */
  async click(url, ua = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36', country = 'US', ip = '', n = '1') {
    for (let i = 0; i < Number(n); i++) {
      const headers = { 'user-agent': ua, 'accept-language': 'en-US,en;q=0.9', accept: 'text/html', 'cf-ipcountry': country };
      headers['x-forwarded-for'] = ip || `203.0.113.${1 + ((i * 7 + process.pid) % 250)}`;
      const res = await fetch(url, { redirect: 'manual', headers });
      if (res.status !== 302) fail(`${url} answered ${res.status}, expected 302`);
      const location = res.headers.get('location');
      if (!new URL(location).searchParams.get('ctx')) fail(`no ctx in ${location}`);
      process.stdout.write(`${location}\n`);
    }
  },

  /** tamper URL: the same URL with one character in the middle of its ctx token changed (a forged ctx). */
  async tamper(url) {
    const u = new URL(url);
    const ctx = u.searchParams.get('ctx');
    const i = Math.floor(ctx.length / 2);
    u.searchParams.set('ctx', ctx.slice(0, i) + (ctx[i] === 'A' ? 'B' : 'A') + ctx.slice(i + 1));
    process.stdout.write(`${u}\n`);
  },

  /** status URL: prints the HTTP status of a GET without following redirects. */
  async status(url) {
    const res = await fetch(url, { redirect: 'manual' });
    process.stdout.write(`${res.status}\n`);
  },

  /** json FILE 'EXPR': evaluates EXPR with `j` = parsed FILE ('-' = stdin); fails unless truthy. */
  async json(file, expr) {
    const text = readFileSync(file === '-' ? 0 : file, 'utf8');
    const j = JSON.parse(text);
    let ok;
    try {
      ok = new Function('j', `return (${expr});`)(j);
    } catch (err) {
      fail(`${expr}: ${err.message}`);
    }
    if (!ok) fail(`${expr}\n  on: ${text.slice(0, 1500)}`);
  },

  /** get FILE 'EXPR': prints the value of EXPR on parsed FILE. */
  async get(file, expr) {
    const j = JSON.parse(readFileSync(file === '-' ? 0 : file, 'utf8'));
    process.stdout.write(`${new Function('j', `return (${expr});`)(j)}\n`);
  },

  /** receiver PORT LOG: records every POST as one NDJSON line {path, headers, body}; /fail answers 500. */
  async receiver(port, log) {
    writeFileSync(log, '');
    http
      .createServer((req, res) => {
        const chunks = [];
        req.on('data', (c) => chunks.push(c));
        req.on('end', () => {
          appendFileSync(log, JSON.stringify({ path: req.url, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') }) + '\n');
          res.statusCode = req.url.startsWith('/fail') ? 500 : 204;
          res.end();
        });
      })
      .listen(Number(port), '127.0.0.1');
  },

  /**
   * webhook LOG PATH TYPE SECRET [SECONDS]: waits for a delivery of TYPE to PATH, verifies its Standard Webhooks
   * signature with SECRET, prints its JSON body.
   */
  async webhook(log, path, type, secret, seconds = '10') {
    const until = Date.now() + Number(seconds) * 1000;
    while (Date.now() < until) {
      const hits = readFileSync(log, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
      const hit = hits.find((h) => h.path === path && JSON.parse(h.body).type === type);
      if (hit) {
        try {
          new Webhook(secret).verify(hit.body, hit.headers);
        } catch (err) {
          fail(`signature of ${type} delivery does not verify: ${err.message}`);
        }
        process.stdout.write(`${hit.body}\n`);
        return;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    fail(`no ${type} delivery to ${path} within ${seconds}s`);
  },

  /** count-rows FILE csv|ndjson: data rows of an export (quoted CSV newlines are not row ends). */
  async 'count-rows'(file, format) {
    const text = readFileSync(file, 'utf8');
    let rows = 0;
    let quoted = false;
    for (const ch of text) {
      if (format === 'csv' && ch === '"') quoted = !quoted;
      else if (ch === '\n' && !quoted) rows++;
    }
    process.stdout.write(`${format === 'csv' ? rows - 1 : rows}\n`);
  },
};

if (!commands[cmd]) fail(`unknown helper ${cmd}`);
await commands[cmd](...args);
