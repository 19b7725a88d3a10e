import type { ChatPlatform } from '../domain/chat-platform.ts';

/**
 * Outbound channel contracts. Only files in channels/ import nodemailer, undici or
 * @google-cloud/pubsub; everything else sees these types.
 */

/** What a send attempt came to, as the delivery worker needs to record it. */
export type SendOutcome =
  | {
      ok: true;
      detail?: string;
      /** The message the receiver created, when it says (Discord with `?wait=true`), to edit it later. */
      messageId?: string;
    }
  | {
      ok: false;
      /** Retrying cannot help (SMTP 5xx, webhook 4xx other than 408/429, blocked address). */
      permanent: boolean;
      /** The receiver asked us to wait (Retry-After, SMTP 421): at least this long before the next try. */
      retryAfterMs?: number;
      /** The endpoint is gone (HTTP 410): stop sending to it at all. */
      disable?: boolean;
      error: string;
    };

export interface EmailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
  /** Stable per delivery, so a retried message keeps its Message-ID (`<id@domain>`). */
  messageId: string;
  /** Extra headers: List-Unsubscribe, List-Unsubscribe-Post, List-Id, ... (single-line values). */
  headers: Record<string, string>;
}

export interface EmailChannel {
  send(message: EmailMessage): Promise<SendOutcome>;
  close(): Promise<void>;
}

export interface WebhookRequest {
  url: string;
  /** `whsec_<base64>` secret of the endpoint (Standard Webhooks). */
  secret: string;
  /** `webhook-id`: the same on every retry of this delivery. */
  messageId: string;
  /** When this attempt is made (`webhook-timestamp`). */
  timestamp: Date;
  /** The exact JSON body to send and sign. */
  body: string;
}

export interface WebhookChannel {
  send(request: WebhookRequest): Promise<SendOutcome>;
  close(): Promise<void>;
}

/** A chat message: the platform's own JSON, posted to a channel's incoming-webhook URL. */
export interface ChatPost {
  platform: ChatPlatform;
  /** The full incoming-webhook URL (a credential: never logged, never in an error text). */
  url: string;
  body: string;
}

export interface ChatChannel {
  /** Posts a message; at most one per second per URL leaves (later ones wait their turn). */
  post(request: ChatPost): Promise<SendOutcome>;
  /** Replaces a message posted before (Discord: `PATCH …/messages/{id}`). */
  editDiscordMessage(request: { url: string; messageId: string; body: string }): Promise<SendOutcome>;
  close(): Promise<void>;
}

/**
 * A batch of delivery rows to attempt; delivery ids refer to the `delivery` table. Webhook
 * batches travel in their own lane, so thousands of fast webhooks never wait behind the emails
 * of a large fan-out (nor emails behind slow receivers).
 */
export interface DeliveryBatch {
  deliveryIds: number[];
  lane?: DeliveryLane;
}

export type DeliveryLane = 'email' | 'webhook';
export const laneOf = (batch: DeliveryBatch): DeliveryLane => batch.lane ?? 'email';

/**
 * Carries delivery batches from the dispatcher to delivery workers: Google Cloud Pub/Sub when
 * configured, an in-process queue otherwise. At-least-once: a handler that throws gets the batch
 * again later; workers are idempotent (they claim rows), so duplicates send nothing twice.
 */
export interface Queue {
  readonly kind: 'pubsub' | 'embedded';
  publish(batches: DeliveryBatch[]): Promise<void>;
  /** Starts consuming; returns a function that stops consuming and waits for handlers in flight. */
  consume(handler: (batch: DeliveryBatch) => Promise<void>): Promise<() => Promise<void>>;
  close(): Promise<void>;
}
