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

/**
 * One notice's email, built once for all its recipients: the same subject, bodies and headers for
 * everyone but for slots (their own manage and unsubscribe links), written into the bodies with
 * `slotMarker(name)`.
 */
export interface EmailLayout {
  subject: string;
  text: string;
  html: string;
  /** Headers the same for every recipient (List-Id, ...), single-line values. */
  headers: Record<string, string>;
}

/** What one recipient's copy of a layout holds of its own. */
export interface LayoutRecipient {
  to: string;
  messageId: string;
  /** Each slot's value, as it goes into the text body and (already escaped) into the HTML body. */
  slots: Record<string, { text: string; html: string }>;
  /** Headers of this recipient only (List-Unsubscribe, ...), single-line values. */
  headers: Record<string, string>;
}

export interface EmailChannel {
  send(message: EmailMessage): Promise<SendOutcome>;
  /**
   * Sends a recipient's copy of a layout. A channel builds the layout's MIME once and writes each
   * copy from its parts (a fan-out of 100,000 builds one message, not 100,000); the copy reads
   * exactly as `send(fillLayout(layout, recipient))` would.
   */
  sendCopy(layout: EmailLayout, recipient: LayoutRecipient): Promise<SendOutcome>;
  close(): Promise<void>;
}

/**
 * Slot markers carry a per-process random part, so no incident text can name one and have a
 * recipient's link put in its place. Letters and digits only: HTML escaping leaves them alone.
 */
const SLOT_NONCE = Array.from(crypto.getRandomValues(new Uint8Array(8)), (b) => (b % 36).toString(36)).join('');
export const SLOT_MARKER_PATTERN = new RegExp(`lifelineslot${SLOT_NONCE}([a-z]+)end`, 'g');

/** Where the slot `name` (lower-case letters) goes in a layout's bodies. */
export function slotMarker(name: string): string {
  if (!/^[a-z]+$/.test(name)) throw new Error(`slot names are lower-case letters: ${JSON.stringify(name)}`);
  return `lifelineslot${SLOT_NONCE}${name}end`;
}

/** The plain message a recipient's copy of a layout stands for. A slot without a value is left empty. */
export function fillLayout(layout: EmailLayout, recipient: LayoutRecipient): EmailMessage {
  const fill = (body: string, format: 'text' | 'html') => body.replace(SLOT_MARKER_PATTERN, (_, name: string) => recipient.slots[name]?.[format] ?? '');
  return {
    to: recipient.to,
    subject: layout.subject,
    text: fill(layout.text, 'text'),
    html: fill(layout.html, 'html'),
    messageId: recipient.messageId,
    headers: { ...layout.headers, ...recipient.headers },
  };
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
