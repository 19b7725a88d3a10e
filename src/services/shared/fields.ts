/**
 * Field schemas the use-case contracts are built from, so a limit is written once: the API route
 * declares it (and the OpenAPI document shows it), the use-case checks it, and a console form
 * takes its `maxlength` from it. Text rules that JSON Schema cannot say (trimming, invisible or
 * direction-control characters) are `requireText`'s, run by the use-case after the schema.
 */
import Type from 'typebox';
import { COMPONENT_STATUSES } from '../../domain/status.ts';
import { BODY_MAX, NAME_MAX } from '../../domain/validation.ts';

/** A closed set of words: the error lists them (`status: must be one of …`). */
export const Enum = <const T extends readonly string[]>(values: T, options: { description?: string; default?: T[number] } = {}) =>
  Type.Unsafe<T[number]>(Type.String({ enum: [...values], ...options }));

/** An incident's, maintenance's or template's name. */
export const IncidentName = Type.String({ minLength: 1, maxLength: NAME_MAX });
/** An update's Markdown body. */
export const MarkdownBody = Type.String({ minLength: 1, maxLength: BODY_MAX, description: 'Markdown; raw HTML is not rendered' });
/** `{component id or key: new status}`. */
export const ComponentChanges = Type.Record(Type.String({ minLength: 1 }), Enum(COMPONENT_STATUSES), {
  description: 'Map of component id (or key) to its new status',
});
/** An Idempotency-Key header. */
export const IdempotencyKey = Type.String({ maxLength: 255 });
/** A row id in a path (`/incidents/{id}`). */
export const PathId = Type.String({ minLength: 1, maxLength: 64 });
