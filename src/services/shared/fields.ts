/**
 * Field schemas the use-case contracts are built from, so a limit is written once: the API route
 * declares it (and the OpenAPI document shows it), the use-case checks it, and a console form
 * takes its `maxlength` from it. Text rules that JSON Schema cannot say (trimming, invisible or
 * direction-control characters) are `requireText`'s, run by the use-case after the schema.
 */
import Type, { type TObject } from 'typebox';
import { COMPONENT_STATUSES } from '../../domain/status.ts';
import { EMAIL_ADDRESS_MAX } from '../../domain/email-address.ts';
import { BODY_MAX, COMPONENT_NAME_MAX, DESCRIPTION_MAX, KEY_PATTERN, NAME_MAX, URL_MAX } from '../../domain/validation.ts';

/** A closed set of words: the error lists them (`status: must be one of …`). */
export const Enum = <const T extends readonly string[]>(values: T, options: { description?: string; default?: T[number] } = {}) =>
  Type.Unsafe<T[number]>(Type.String({ enum: [...values], ...options }));

/** An incident's, maintenance's or template's name. */
export const IncidentName = Type.String({ minLength: 1, maxLength: NAME_MAX });
/** An update's Markdown body. */
export const MarkdownBody = Type.String({ minLength: 1, maxLength: BODY_MAX, description: 'Markdown; raw HTML is not rendered' });
/** A point in time with its zone (`2026-05-01T10:00:00Z`), as JSON carries it. */
export const Timestamp = Type.String({ format: 'date-time' });
/** An http(s) link stored with a record (a postmortem, a webhook endpoint); the use-case checks the scheme. */
export const Url = Type.String({ maxLength: URL_MAX });
/** `{component id or key: new status}`. */
export const ComponentChanges = Type.Record(Type.String({ minLength: 1 }), Enum(COMPONENT_STATUSES), {
  description: 'Map of component id (or key) to its new status',
});
/** An Idempotency-Key header. */
export const IdempotencyKey = Type.String({ maxLength: 255 });
/** An API token's name, shown in listings and in the audit log. */
export const TokenName = Type.String({ minLength: 1, maxLength: 100 });
/** A person's display name (a console account); may be empty. */
export const PersonName = Type.String({ maxLength: 120 });
/**
 * An email address as typed. The schema only bounds its length (RFC 5321's 254); what makes it an
 * address, and its normal form, is `parseEmailAddress`'s rule, run by the use-case.
 */
export const EmailAddress = Type.String({ minLength: 1, maxLength: EMAIL_ADDRESS_MAX });
/** A row id in a path (`/incidents/{id}`). */
export const PathId = Type.String({ minLength: 1, maxLength: 64 });

/**
 * The longest text each field of a contract takes (`{name: 255, body: 25000}`), for a console
 * form's `maxlength` attributes, so the browser stops where the use-case would refuse.
 */
export function limitsOf(schema: TObject): Readonly<Record<string, number>> {
  const limits: Record<string, number> = {};
  for (const [name, property] of Object.entries<unknown>(schema.properties)) {
    const limit = maxLengthOf(property);
    if (limit !== undefined) limits[name] = limit;
  }
  return limits;
}

/** A field's longest text: its own `maxLength`, or that of a branch (`string | null`, as a description). */
function maxLengthOf(schema: unknown): number | undefined {
  if (typeof schema !== 'object' || schema === null) return undefined;
  const { maxLength, anyOf } = schema as { maxLength?: unknown; anyOf?: unknown };
  if (typeof maxLength === 'number') return maxLength;
  return Array.isArray(anyOf) ? anyOf.map(maxLengthOf).find((limit) => limit !== undefined) : undefined;
}

/** Longest name of an incident template (its title is an incident name). */
export const TEMPLATE_NAME_MAX = 100;

/** A component's or group's name. */
export const ComponentName = Type.String({ minLength: 1, maxLength: COMPONENT_NAME_MAX });
/** A component's or group's description; null (or empty) for none. */
export const Description = Type.Union([Type.String({ maxLength: DESCRIPTION_MAX }), Type.Null()]);
/** A new component's or group's key: fixed once created, because API clients and subscribers refer to it. */
export const ComponentKey = Type.String({ pattern: KEY_PATTERN, description: 'stable identifier; made from the name when missing' });
/** The group a component belongs to. */
export const GroupRef = Type.Union([Type.String({ maxLength: 64 }), Type.Null()], { description: 'group id or key; null for no group' });
/** A 1-based place in a list of siblings; past the end means last. */
export const Position = Type.Integer({ minimum: 1, description: '1-based place among its siblings' });
/** A component's status. */
export const ComponentStatusField = Enum(COMPONENT_STATUSES);
/** An incident template's name, as the template lists show it. */
export const TemplateName = Type.String({ minLength: 1, maxLength: TEMPLATE_NAME_MAX });
/** A component or group in a path, by id or key (`/components/{id}`). */
export const PathIdOrKey = Type.String({ minLength: 1, maxLength: 64, description: 'id or key' });

/**
 * A subscriber's or webhook owner's address as typed: `EmailAddress`'s limit, but an empty one is
 * left to `parseEmailAddress`, so the sign-up forms and the API keep saying what they always said
 * ("must be an email address such as ops@example.com") rather than "must not be empty".
 */
export const SubscriberEmailAddress = Type.String({ maxLength: EMAIL_ADDRESS_MAX });
/** Components chosen by id or key; empty or missing means every component. */
export const ComponentRefs = Type.Array(Type.String(), { maxItems: 500 });
