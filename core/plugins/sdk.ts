// The plugin SDK: the only surface a plugin sees. Built-in plugins under plugins/ use exactly this,
// as a third party would (`import { definePlugin } from 'tenx/plugin'`).

export type PluginKind = 'goal-type' | 'tracking-preset' | 'bot-detector' | 'notification-channel';
export type JsonSchema = Record<string, unknown>;
export type Device = 'desktop' | 'mobile' | 'tablet' | 'bot' | 'other';

/** What the kernel hands a plugin: narrow on purpose, scoped to one handle. */
export interface PluginApi {
  /** The handle (tenant) this call is made for. */
  handle: string;
  /**
   * Increments a counter shared by every server process (Redis when configured, else in-process)
   * and returns its value inside a fixed window of `windowSeconds`.
   */
  incrementCounter(key: string, windowSeconds: number): Promise<number>;
  /**
   * POSTs JSON the way the built-in webhook channel does: the operator's SSRF guard checks the URL
   * (https, public addresses, allowed ports) and again every address at connect time, redirects are
   * not followed, at most 1 KiB of the answer is read. `body` is serialised, or sent byte for byte
   * when a string (what was signed); `headers` add to / override content-type and user-agent.
   * Never throws: a refused, failed or timed-out send is a DeliveryResult with `error`.
   * Notification channels must post with this, never with fetch (which bypasses the guard).
   */
  postJson(url: string, body: unknown, headers?: Record<string, string>, options?: PostJsonOptions): Promise<DeliveryResult>;
  log: { info(obj: object, msg?: string): void; warn(obj: object, msg?: string): void };
}

export interface PostJsonOptions {
  /** The whole send, guard included (default WEBHOOK_TIMEOUT_MS); a channel passes its notification's timeoutMs. */
  timeoutMs?: number;
}

interface BaseManifest<S> {
  name: string;
  version: string;
  kind: PluginKind;
  description?: string;
  /** JSON schema of this plugin's per-handle settings (validated with ajv on PUT and at boot). */
  settingsSchema?: JsonSchema;
  /** Settings used when a handle says nothing. */
  defaultSettings?: S;
  /** Whether a handle that says nothing gets this plugin. Default true. */
  enabledByDefault?: boolean;
  /** Release whatever the plugin opened; called once on shutdown. */
  close?(): Promise<void> | void;
}

/** A click as the bot detectors and routing conditions see it (after the redirect was answered). */
export interface ClickFacts {
  handle: string;
  campaignId: string;
  slug: string;
  ip: string;
  userAgent: string;
  /** Lower-cased request header names. */
  headers: Record<string, string | undefined>;
  /** Source channel: src, utm_source, mapped Referer host, Referer host, or `direct`. */
  source: string;
  referrerHost: string | null;
  /** ISO-3166 alpha-2, `ZZ` when unknown. */
  country: string;
  device: Device;
  /** Primary language tags from Accept-Language, most preferred first (e.g. ['en', 'de']). */
  languages: string[];
  query: Record<string, string>;
  occurredAt: Date;
}

export interface BotVerdict {
  bot: boolean;
  reason?: string;
  score?: number;
}

export interface BotDetectorPlugin<S = any> extends BaseManifest<S> {
  kind: 'bot-detector';
  inspect(click: ClickFacts, settings: S, api: PluginApi): BotVerdict | Promise<BotVerdict>;
}

/** An extra routing-condition kind a goal type adds (e.g. `platformIn`). */
export interface ConditionKind {
  /** JSON schema of the condition's value inside `conditions`. */
  schema: JsonSchema;
  matches(value: any, click: ClickFacts): boolean;
}

export interface CampaignDraft {
  campaignId: string;
  goalType: string;
  status: string;
  primaryLink: { slug: string; destinationUrl: string; title?: string | null };
  routingRules: Array<{ priority: number; destinationUrl: string; conditions: Record<string, unknown> }>;
  attributionWindowDays: number;
}

export interface GoalTypePlugin<S = any> extends BaseManifest<S> {
  kind: 'goal-type';
  /** The tracking preset this goal type implies (a registered tracking-preset plugin name). */
  trackingPreset: string;
  /** The conversion event the campaign reports by default. */
  conversionEvent: string;
  /** Every event type a conversion of such a campaign may carry. */
  eventTypes: string[];
  /** Extra semantic checks; return human sentences, empty when valid. */
  validateCampaign?(campaign: CampaignDraft, settings: S): string[];
  conditions?: Record<string, ConditionKind>;
}

export interface TrackingPresetPlugin<S = any> extends BaseManifest<S> {
  kind: 'tracking-preset';
  /** Query parameter that carries the ctx token to the destination. Default `ctx`. */
  ctxParam?: string;
  /** Event types this preset emits to webhooks. */
  emits: string[];
  /** Assign a segment other than the device class; return undefined to keep the device class. */
  segment?(click: ClickFacts, settings: S): string | undefined;
}

/** One outgoing notification as a channel receives it. */
export interface OutgoingNotification {
  /** Stable id of this delivery; resent unchanged on retries so receivers can dedupe. */
  deliveryId: string;
  endpointUrl: string;
  /** The JSON body, already serialized; channels send exactly these bytes. */
  body: string;
  /** Current secret (and the previous one during a rotation overlap), `whsec_`-prefixed. */
  secrets: string[];
  timeoutMs: number;
  event: { id: string; type: string; createdAt: string; handle: string; data: Record<string, unknown> };
  /**
   * Standard Webhooks headers (`webhook-id`, `webhook-timestamp`, `webhook-signature`) the kernel
   * computed for this send, keyed by `secrets` (both during a rotation): a channel that signs sends these as-is,
   * and needs no HMAC code of its own. Always set by the kernel; optional only for channels' own unit tests.
   */
  signatureHeaders?: Record<'webhook-id' | 'webhook-timestamp' | 'webhook-signature', string>;
}

export interface DeliveryResult {
  ok: boolean;
  statusCode?: number;
  latencyMs: number;
  error?: string;
  /** At most 1 KiB of the response body. */
  responseSnippet?: string;
}

export interface NotificationChannelPlugin<S = any> extends BaseManifest<S> {
  kind: 'notification-channel';
  deliver(notification: OutgoingNotification, settings: S, api: PluginApi): Promise<DeliveryResult>;
}

export type PluginManifest =
  | GoalTypePlugin
  | TrackingPresetPlugin
  | BotDetectorPlugin
  | NotificationChannelPlugin;

/** A string function's answers kept per argument (bounded): for per-click work on the same user agent. */
export { memoizeByString } from '../infra/string-memo.ts';
/** `www.site.com` ↔ `site.com`: a click's source keeps a Referer host's `www.`; look a site up under both. */
export { wwwTwin } from '../infra/www-twin.ts';

/** Typed identity: gives a plugin author completion and checks, and marks the default export. */
export function definePlugin<T extends PluginManifest>(manifest: T): T {
  return manifest;
}
