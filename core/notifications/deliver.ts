// One attempt of one delivery: claim its lease, send it through its channel plugin, record the result.
import type { Pool } from 'pg';
import type { Logger } from 'pino';
import type { Config } from '../../config/index.ts';
import { untilAborted, withDeadline } from '../infra/deadline.ts';
import { pluginText, type DeliveryResult, type OutgoingNotification, type PluginHost } from '../plugins/index.ts';
import { nextRetryDelayMs, retryTailAttempts } from './backoff.ts';
import { createBatcher } from './batcher.ts';
import { INTERRUPTED, USER_AGENT, type JsonPoster } from './http-delivery.ts';
import { claimDeliveries, nextClaimAt, recordAttempts, type AttemptRecord, type Claimed, type FinalStatus } from './delivery-store.ts';
import { webhookAttemptDuration, webhookAttempts, webhookDeliveries, webhookSignings } from './metrics.ts';
import type { SecretBox } from './secret-box.ts';
import { signatureHeaders, type SignatureHeaders } from './signing.ts';
import type { Signer } from './signing-pool.ts';
import type { SignTask } from './signing-worker.ts';

/** What an attempt left a delivery as: the scheduler's next step depends on it. */
export type AttemptOutcome =
  | { kind: 'succeeded' }
  | { kind: 'retry'; delayMs: number }
  | { kind: 'failed' }
  /** Nothing to do: the delivery finished already or was deleted. */
  | { kind: 'done' }
  /** Not due yet, or another sender holds it: try again at `atMs` (epoch ms). */
  | { kind: 'later'; atMs: number }
  /**
   * This server is stopping (its sends are cut, JsonPoster.interrupt): the delivery is left due at once for another
   * process or the next start; neither a retry here nor one of its tries (nor of its queue job's).
   */
  | { kind: 'stopping' };

export interface AttemptDeps {
  pg: Pool;
  /** The database is embedded PGlite (delivery-store.ts runs its batches on generic plans either way). */
  embedded: boolean;
  log: Logger;
  config: Config;
  pluginHost: PluginHost;
  secretBox: SecretBox;
  signer: Signer;
  /** The kernel's poster (PluginApi.postJson's): postbacks go through it too, so a stopping server cuts both (interrupt). */
  jsonPoster: JsonPoster;
}

// PostgreSQL text cannot hold NUL, and a receiver's answer may contain anything.
// eslint-disable-next-line no-control-regex -- NUL is exactly what must go
const cleanSnippet = (s: string | undefined) => (s ? s.replace(/\u0000/g, '') : null);

const MAX_INT = 2_147_483_647;
/** How long a stopping server still waits for a channel's send it has cut (well inside the kernel's 500 ms margin). */
const STOP_GRACE_MS = 200;

/**
 * What a channel plugin answered, made into a DeliveryResult the attempt can record. deliver() is a
 * plugin's code: an answer outside the contract (no object, no latencyMs, NaN, a string status code,
 * a NUL in the error) must become one attempt of its own delivery, never an exception after the send
 * or a value that fails the batched INSERT (which would lose every other delivery recorded with it).
 */
export function normalizeDeliveryResult(raw: unknown, measuredMs: number): DeliveryResult {
  if (typeof raw !== 'object' || raw === null) return { ok: false, latencyMs: measuredMs, error: 'other:channel_result' };
  const r = raw as Record<string, unknown>;
  const ok = Boolean(r.ok); // truthy, as the kernel always read it: a sloppy `ok: 1` must not turn into a resend
  const statusCode = Number.isInteger(r.statusCode) && (r.statusCode as number) >= 100 && (r.statusCode as number) <= 999 ? (r.statusCode as number) : undefined;
  const latency = typeof r.latencyMs === 'number' && Number.isFinite(r.latencyMs) && r.latencyMs >= 0 ? r.latencyMs : measuredMs;
  const error = pluginText(r.error, 200) ?? (ok ? undefined : 'other:channel');
  const snippet = typeof r.responseSnippet === 'string' ? r.responseSnippet.slice(0, 1024) : undefined;
  return {
    ok,
    latencyMs: Math.min(MAX_INT, latency),
    ...(statusCode !== undefined && { statusCode }),
    ...(error !== undefined && { error }),
    ...(snippet !== undefined && { responseSnippet: snippet }),
  };
}

export class DeliveryAttempts {
  /** A sender's hold on a delivery: longer than any send (timeout) plus recording it. */
  readonly leaseMs: number;
  /** Hourly attempts after the seed's five retries, for webhooks that opted in (WEBHOOK_RETRY_TAIL). */
  readonly tailAttempts: number;

  // Attempts starting (or finishing) in the same tick share one statement: one commit per batch, not per delivery.
  private readonly claim: (id: string) => Promise<Claimed | undefined>;
  private readonly record: (r: AttemptRecord) => Promise<boolean | undefined>;

  private readonly deps: AttemptDeps;
  constructor(deps: AttemptDeps) {
    this.deps = deps;
    this.leaseMs = deps.config.webhookTimeoutMs + 5000;
    this.tailAttempts = retryTailAttempts(deps.config.webhookRetryTail);
    const target = { db: deps.pg, pool: deps.embedded ? undefined : deps.pg };
    this.claim = createBatcher((ids) => claimDeliveries(target, ids, this.leaseMs), { exclusive: true });
    this.record = createBatcher(async (records) => {
      const recorded = await recordAttempts(target, records);
      return new Map(records.map((r) => [r, recorded.has(r.deliveryId)]));
    });
  }

  async attempt(deliveryId: string): Promise<AttemptOutcome> {
    const { pg, config, jsonPoster } = this.deps;
    // Claimed now, its send would only be cut: an attempt row for a send that never happened.
    if (jsonPoster.interrupted) return { kind: 'stopping' };
    const claimed = await this.claim(deliveryId);
    if (!claimed) {
      const next = await nextClaimAt(pg, deliveryId);
      return next ? { kind: 'later', atMs: next.dueAt } : { kind: 'done' };
    }
    const at = new Date();
    const result = await this.send(claimed);
    // Cut off because this server is stopping: shown as an attempt, due again at once (another process, or the next
    // start, sends it), and not one of the delivery's tries: the endpoint had no fair chance to answer.
    const interrupted = !result.ok && result.error === INTERRUPTED && jsonPoster.interrupted;
    if (!interrupted) webhookAttemptDuration.observe(result.latencyMs / 1000);
    const attemptNo = claimed.attemptsInCycle + 1;
    const retryIn = result.ok ? null : interrupted ? 0 : nextRetryDelayMs(config.webhookRetryBaseMs, attemptNo, claimed.retryTail ? this.tailAttempts : 0);
    const status: FinalStatus = result.ok ? 'succeeded' : retryIn === null ? 'failed' : 'retrying';
    const retryInMs = retryIn ?? 0;
    const recorded = await this.record({
      deliveryId, status, retryInMs, at, counts: !interrupted,
      statusCode: result.statusCode ?? null,
      latencyMs: Math.max(0, Math.round(result.latencyMs)),
      error: result.error ?? null,
      responseSnippet: cleanSnippet(result.responseSnippet),
    });
    if (!recorded) return { kind: 'done' };
    if (interrupted) return { kind: 'stopping' };
    webhookAttempts.inc({ result: status });
    if (status === 'retrying') return { kind: 'retry', delayMs: retryInMs };
    webhookDeliveries.inc({ outcome: status });
    if (status === 'failed') {
      // Nothing retries it any more: the operator (or the handle, through redeliver) has to act.
      this.deps.log.warn(
        { webhookId: claimed.webhookId, deliveryId, handle: claimed.handle, eventType: claimed.eventType, attempts: attemptNo, statusCode: result.statusCode ?? null, lastError: result.error ?? null },
        'webhook delivery failed for good',
      );
    }
    return { kind: status };
  }

  /** Opened secrets by sealed value (a rotation seals anew, so entries never go stale); saves an AES-GCM open per send. */
  private readonly opened = new Map<string, string>();

  private openSecret(sealed: string): string {
    let plain = this.opened.get(sealed);
    if (plain === undefined) {
      plain = this.deps.secretBox.open(sealed);
      if (this.opened.size >= 10_000) this.opened.clear();
      this.opened.set(sealed, plain);
    }
    return plain;
  }

  /** Never throws: whatever goes wrong becomes a failed attempt with an error class. */
  private async send(c: Claimed): Promise<DeliveryResult> {
    const { config, log, pluginHost } = this.deps;
    let secrets: string[];
    try {
      secrets = [this.openSecret(c.secretSealed), ...(c.previousSecretSealed ? [this.openSecret(c.previousSecretSealed)] : [])];
    } catch (err) {
      // Only the reason is logged: never the sealed or opened secret.
      log.warn({ deliveryId: c.deliveryId, err: (err as Error).message }, 'webhook secret cannot be opened (SECRET_KEY changed?)');
      return { ok: false, latencyMs: 0, error: 'other:secret' };
    }
    if (c.method) return this.sendPostback(c, c.method, secrets);
    const plugins = await pluginHost.forHandle(c.handle);
    const channel = plugins.channel(c.channel);
    if (!channel) return { ok: false, latencyMs: 0, error: 'channel_disabled' };
    const notification: OutgoingNotification = {
      deliveryId: c.deliveryId,
      endpointUrl: c.endpointUrl,
      body: c.body,
      secrets,
      timeoutMs: config.webhookTimeoutMs,
      event: JSON.parse(c.body),
    };
    const task = { deliveryId: c.deliveryId, timestampSeconds: Math.floor(Date.now() / 1000), body: c.body, secrets };
    try {
      // Every channel gets the Standard Webhooks headers of this send, whatever the body's size: one that signs sends them as-is.
      notification.signatureHeaders = await this.signed(task);
    } catch (err) {
      log.warn({ deliveryId: c.deliveryId, channel: c.channel, err: (err as Error).message }, 'webhook signing failed');
      return { ok: false, latencyMs: 0, error: 'other:signing' };
    }
    const started = performance.now();
    // The stop came while this attempt was claimed or signed: not started, so not sent twice.
    if (this.deps.jsonPoster.interrupted) return { ok: false, latencyMs: 0, error: INTERRUPTED };
    try {
      // The operator's SSRF setting always wins over anything stored for the handle.
      const settings = { ...channel.settings, allowPrivate: config.webhookAllowPrivate };
      // A silent channel must not hold its lease forever, nor a stopping server. A send through api.postJson is cut by
      // the stop itself and settles at once with its own outcome (an answer already in hand stays a success, a timeout
      // that came first a timeout); one sent another way is left behind after STOP_GRACE_MS, recorded as interrupted.
      const answer: unknown = await untilAborted(
        withDeadline(channel.manifest.deliver(notification, settings, plugins.api), config.webhookTimeoutMs + 1000, 'channel did not answer in time'),
        this.deps.jsonPoster.stopping,
        STOP_GRACE_MS,
      );
      const result = normalizeDeliveryResult(answer, Math.round(performance.now() - started));
      if (result.error === 'other:channel_result') log.warn({ deliveryId: c.deliveryId, channel: c.channel }, 'notification channel answered no DeliveryResult');
      return result;
    } catch (err) {
      if (err === this.deps.jsonPoster.stopping.reason) return { ok: false, latencyMs: Math.round(performance.now() - started), error: INTERRUPTED };
      log.warn({ deliveryId: c.deliveryId, channel: c.channel, err: (err as Error).message }, 'notification channel threw');
      // The time it took to fail (a cut-off channel: the whole deadline), as the panel shows for any other attempt.
      return { ok: false, latencyMs: Math.round(performance.now() - started), error: (err as Error).name === 'TimeoutError' ? 'timeout' : 'other:channel' };
    }
  }

  /** Standard Webhooks headers of a send: in the signing pool for large bodies, inline otherwise. */
  private async signed(task: SignTask): Promise<SignatureHeaders> {
    const mode = this.deps.signer.modeFor(task);
    webhookSignings.inc({ mode });
    if (mode !== 'workers') return signatureHeaders(task.deliveryId, task.timestampSeconds, task.body, task.secrets);
    return (await this.deps.signer.sign(task)).headers;
  }

  /**
   * A partner postback: GET of its expanded URL (the partner's tracker reads the macros), or POST of
   * the event JSON signed with the postback's own secret (Standard Webhooks, like a webhook).
   */
  private async sendPostback(c: Claimed, method: 'GET' | 'POST', secrets: string[]): Promise<DeliveryResult> {
    const { config, log } = this.deps;
    let headers: Record<string, string> = { 'user-agent': USER_AGENT, 'webhook-id': c.deliveryId };
    if (method === 'POST') {
      const task = { deliveryId: c.deliveryId, timestampSeconds: Math.floor(Date.now() / 1000), body: c.body, secrets };
      try {
        headers = { ...headers, 'content-type': 'application/json', ...(await this.signed(task)) };
      } catch (err) {
        log.warn({ deliveryId: c.deliveryId, err: (err as Error).message }, 'postback signing failed');
        return { ok: false, latencyMs: 0, error: 'other:signing' };
      }
    }
    return this.deps.jsonPoster.post({
      url: c.endpointUrl, method, body: c.body, headers, timeoutMs: config.webhookTimeoutMs,
      allowPrivate: config.webhookAllowPrivate, allowedPorts: config.webhookAllowedPorts, log,
    });
  }
}

