import MimeNode from 'nodemailer/lib/mime-node';
import { SLOT_MARKER_PATTERN, type EmailLayout, type LayoutRecipient } from './channel.ts';

/**
 * Per-recipient copies of one email layout, written from parts prepared once.
 *
 * nodemailer builds a MIME tree, streams and encoders per message; for a notice to 100,000
 * subscribers that is 100,000 builds of the same subject and bodies. Here nodemailer encodes the
 * shared headers once (From, Subject, List-Id, the multipart boundary); each copy adds its own
 * To, Date, Message-ID and List-Unsubscribe lines and the bodies with its links filled in, then
 * base64-encodes them (native code, a few microseconds). The result is a raw RFC 5322 message
 * nodemailer sends as it is (and DKIM-signs when configured).
 */

/** A layout split at its slots and with its shared header block encoded. */
export interface EncodedLayout {
  /** Shared header lines, CRLF-separated, Content-Type (with the boundary) last. */
  head: string;
  boundary: string;
  /** Literal text and slot names, alternating: literal, slot, literal, ..., literal. */
  text: string[];
  html: string[];
}

/** A prepared header value, or null when it cannot go out as one plain line (the caller falls back). */
export type HeaderPreparer = (name: string, value: string) => string | null;

/**
 * Encodes a layout's shared parts, or null when a shared header cannot be prepared as one line
 * (then every copy goes through the full composer instead).
 */
export function encodeLayout(layout: EmailLayout, from: string, prepare: HeaderPreparer): EncodedLayout | null {
  const root = new MimeNode('multipart/alternative', { newline: '\r\n' } as ConstructorParameters<typeof MimeNode>[1]);
  root.setHeader('From', from);
  root.setHeader('Subject', layout.subject);
  for (const [name, raw] of Object.entries(layout.headers)) {
    const value = prepare(name, raw);
    if (value === null) return null;
    root.setHeader(name, { prepared: true, value } as unknown as string);
  }
  // The per-copy Date and Message-ID are written with each copy; nodemailer adds its own here.
  const head = root
    .buildHeaders()
    .split('\r\n')
    .filter((line) => !/^(Date|Message-ID):/i.test(line))
    .join('\r\n');
  const boundary = (root as unknown as { boundary: string }).boundary;
  if (!boundary) return null;
  return { head, boundary, text: layout.text.split(SLOT_MARKER_PATTERN), html: layout.html.split(SLOT_MARKER_PATTERN) };
}

/** One recipient's raw message, or null when one of its own headers cannot be written as one line. */
export function writeCopy(encoded: EncodedLayout, recipient: LayoutRecipient, date: Date, prepare: HeaderPreparer): Buffer | null {
  // An address or id nodemailer would encode (an international domain, say) takes the full composer.
  if (!/^[\x21-\x7e]+$/.test(recipient.to) || !/^<[\x21-\x3b\x3d\x3f-\x7e]+>$/.test(recipient.messageId)) return null;
  const lines = [`To: ${recipient.to}`, `Date: ${date.toUTCString().replace(/GMT/, '+0000')}`, `Message-ID: ${recipient.messageId}`];
  for (const [name, raw] of Object.entries(recipient.headers)) {
    const value = prepare(name, raw);
    if (value === null) return null;
    lines.push(`${name}: ${value}`);
  }
  const b = encoded.boundary;
  return Buffer.from(
    `${lines.join('\r\n')}\r\n${encoded.head}\r\n\r\n` +
      `--${b}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n${base64Lines(fill(encoded.text, recipient, 'text'))}\r\n` +
      `--${b}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n${base64Lines(fill(encoded.html, recipient, 'html'))}\r\n` +
      `--${b}--\r\n`,
  );
}

function fill(parts: string[], recipient: LayoutRecipient, format: 'text' | 'html'): string {
  let out = parts[0];
  for (let i = 1; i < parts.length; i += 2) {
    const slot = Object.hasOwn(recipient.slots, parts[i]) ? recipient.slots[parts[i]] : undefined;
    out += (slot?.[format] ?? '') + parts[i + 1];
  }
  return out;
}

/** Base64 in lines of 76 characters (RFC 2045). */
function base64Lines(text: string): string {
  const encoded = Buffer.from(text, 'utf8').toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < encoded.length; i += 76) lines.push(encoded.slice(i, i + 76));
  return lines.join('\r\n');
}
