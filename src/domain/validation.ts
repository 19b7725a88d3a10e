import { ValidationError } from './errors.ts';

// eslint-disable-next-line no-control-regex -- finding NUL is the point
const NUL = /\u0000/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
/** Characters that show nothing: spaces, zero-width and other format characters, fillers, the braille blank. */
const INVISIBLE = /[\p{White_Space}\p{Default_Ignorable_Code_Point}\p{Cf}\u2800]/gu;
/** Bidi embeddings, overrides and isolates: in a name they reorder what is shown after them (RLO spoofing). */
const DIRECTION_CONTROL = /[\u202A-\u202E\u2066-\u2069]/;
/**
 * C0 and C1 control characters: an ESC sequence in a name is replayed into the terminal of whoever
 * lists it with the CLI, and a line break in a name starts a line of its own in a plain-text email.
 * Multi-line text keeps its line breaks and tabs.
 */
const CONTROL = /\p{Cc}/u;
const CONTROL_BUT_LINE_BREAKS = /[^\P{Cc}\t\n\r]/u;

/**
 * Why a string cannot be stored as text, or null. PostgreSQL refuses NUL in text (a 500 if it got
 * that far), and a lone surrogate is not Unicode at all (the driver would silently replace it).
 */
export function invalidTextReason(value: string): string | null {
  if (NUL.test(value)) return 'contains a NUL byte, which text may not hold';
  if (LONE_SURROGATE.test(value)) return 'contains invalid Unicode (an unpaired surrogate)';
  return null;
}

/**
 * Field checks shared by use-cases, so the API, the CLI and the console report the same errors.
 * Text is a single-line name unless `multiline` (Markdown bodies, reasons, descriptions): names may
 * not carry direction controls, and no text may be made only of invisible characters.
 */
export function requireText(field: string, value: unknown, options: { max: number; allowEmpty?: boolean; multiline?: boolean }): string {
  if (typeof value !== 'string') throw new ValidationError(field, 'must be a string');
  const invalid = invalidTextReason(value);
  if (invalid) throw new ValidationError(field, invalid);
  const text = value.trim();
  if (!options.allowEmpty && text.length === 0) throw new ValidationError(field, 'must not be empty');
  if (text.length > options.max) throw new ValidationError(field, `must be at most ${options.max} characters`);
  if (text.length > 0 && text.replace(INVISIBLE, '') === '')
    throw new ValidationError(field, 'must contain visible characters, not only invisible or formatting ones');
  if ((options.multiline ? CONTROL_BUT_LINE_BREAKS : CONTROL).test(text)) {
    throw new ValidationError(
      field,
      `must not contain control characters${options.multiline ? ' other than line breaks and tabs' : ' (line breaks, tabs, escapes)'}`,
    );
  }
  if (!options.multiline && DIRECTION_CONTROL.test(text)) {
    throw new ValidationError(field, 'must not contain text-direction override or isolate characters (U+202A-U+202E, U+2066-U+2069)');
  }
  return text;
}

export function requireOneOf<T extends string>(field: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !allowed.includes(value as T)) throw new ValidationError(field, `must be one of ${allowed.join(', ')}`);
  return value as T;
}

export function requireDate(field: string, value: unknown): Date {
  const date = value instanceof Date ? value : typeof value === 'string' ? new Date(value) : new Date(Number.NaN);
  if (Number.isNaN(date.getTime()) || (typeof value === 'string' && !/^\d{4}-\d{2}-\d{2}T/.test(value))) {
    throw new ValidationError(field, 'must be an ISO 8601 date-time such as 2026-05-01T10:00:00Z');
  }
  return date;
}

export const NAME_MAX = 255;
/** Longest name of a component or group (and of a heartbeat series' label): the page definition file, the API and the console agree. */
export const COMPONENT_NAME_MAX = 120;
/** Longest description of a component, group or heartbeat series. */
export const DESCRIPTION_MAX = 500;
/** Longest key of a component, group or heartbeat series: API clients, subscribers and URLs refer to it. */
export const KEY_MAX = 63;
/** A key: lowercase letters, digits and dashes, starting with a letter or digit. Written once, for the API, the console and the page definition file. */
export const KEY_PATTERN = `^[a-z0-9][a-z0-9-]{0,${KEY_MAX - 1}}$`;
/** Longest URL we store (webhook endpoints, postmortem links): every door names the field past it. */
export const URL_MAX = 2000;
export const BODY_MAX = 25_000;
