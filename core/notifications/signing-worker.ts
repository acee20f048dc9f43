// A piscina worker: Standard Webhooks HMAC signing off the main thread (WEBHOOK_SIGNING).
import { signatureHeaders, type SignatureHeaders } from './signing.ts';

export interface SignTask {
  deliveryId: string;
  timestampSeconds: number;
  body: string;
  secrets: string[];
}

export default function signWebhook(task: SignTask): SignatureHeaders {
  return signatureHeaders(task.deliveryId, task.timestampSeconds, task.body, task.secrets);
}
