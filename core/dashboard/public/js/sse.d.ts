// Types for the dashboard's browser module, so node tests can import it under `strict`.
export interface SseEvent { type: string; data: string; id: string }
export function createSseParser(onEvent: (ev: SseEvent) => void, onRetry?: (ms: number) => void): { push(chunk: string): void; readonly lastEventId: string };
export function openEventStream(url: string, opts: {
  headers?: Record<string, string>;
  onEvent: (ev: SseEvent) => void;
  onState?: (state: string, err?: unknown) => void;
  onError?: (err: { status: number; code?: string; message?: string }) => void;
}): { close(): void };
