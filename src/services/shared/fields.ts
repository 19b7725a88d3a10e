/**
 * Field schemas the use-case contracts are built from, so a limit is written once: the API route
 * declares it (and the OpenAPI document shows it), the use-case checks it, and a console form
 * takes its `maxlength` from it. Text rules that JSON Schema cannot say (trimming, invisible or
 * direction-control characters) are `requireText`'s, run by the use-case after the schema.
 */
import Type, { type TObject } from 'typebox';
import { COMPONENT_STATUSES } from '../../domain/status.ts';
import { BODY_MAX, NAME_MAX, URL_MAX } from '../../domain/validation.ts';

/** A closed set of words: the error lists them (`status: must be one of …`). */
export const Enum = <const T extends readonly string[]>(values: T, options: { description?: string; default?: T[number] } = {}) =>
  Type.Unsafe<T[number]>(Type.String({ enum: [...values], ...options }));

/** An incident's, maintenance's or template's name. */
export const IncidentName = Type.String({ minLength: 1, maxLength: NAME_MAX });
/** An update's Markdown body. */
export const MarkdownBody = Type.String({ minLength: 1, maxLength: BODY_MAX, description: 'Markdown; raw HTML is not rendered' });
/** A point in time with its zone (`2026-05-01T10:00:00Z`), as JSON carries it. */
export const Timestamp = Type.String({ format: 'date-time' });
/** An http(s) link stored with a record (a postmortem); the use-case checks the scheme. */
export const Url = Type.String({ maxLength: URL_MAX });
/** `{component id or key: new status}`. */
export const ComponentChanges = Type.Record(Type.String({ minLength: 1 }), Enum(COMPONENT_STATUSES), {
  description: 'Map of component id (or key) to its new status',
});
/** An Idempotency-Key header. */
export const IdempotencyKey = Type.String({ maxLength: 255 });
/** A row id in a path (`/incidents/{id}`). */
export const PathId = Type.String({ minLength: 1, maxLength: 64 });

/**
 * The longest text each field of a contract takes (`{name: 255, body: 25000}`), for a console
 * form's `maxlength` attributes, so the browser stops where the use-case would refuse.
 */
export function limitsOf(schema: TObject): Readonly<Record<string, number>> {
  const limits: Record<string, number> = {};
  for (const [name, property] of Object.entries<{ maxLength?: unknown }>(schema.properties)) {
    if (typeof property.maxLength === 'number') limits[name] = property.maxLength;
  }
  return limits;
}
