import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifyInstance } from 'fastify';
import { ValidationError } from '../domain/errors.ts';
import { invalidTextReason } from '../domain/validation.ts';

/**
 * Bodies are validated strictly (no type coercion, unknown fields rejected) so a typo is a 400
 * naming the field, not silently dropped data; query strings and params are coerced from text.
 */
export function configureValidation(app: FastifyInstance): void {
  const make = (coerceTypes: boolean | 'array') => {
    const ajv = new Ajv({ coerceTypes, useDefaults: true, removeAdditional: false, allErrors: false, strict: false });
    (addFormats as unknown as (ajv: Ajv) => void)(ajv);
    return ajv;
  };
  const strict = make(false);
  const coercing = make('array');
  app.setValidatorCompiler(({ schema, httpPart }) => (httpPart === 'body' ? strict : coercing).compile(schema));
  // Every door at once (JSON, forms, query strings, decoded path parameters), before any schema or
  // handler sees the request: text PostgreSQL cannot store is a 400 naming the field, not a 500.
  app.addHook('preValidation', async (request) => {
    for (const [part, value] of [
      ['path', request.params],
      ['query', request.query],
      ['body', request.body],
    ] as const) {
      const problem = findInvalidText(value, part);
      if (problem) throw new ValidationError(problem.field, problem.reason);
    }
  });
}

/** Some text (a value, or a field name) that is not storable Unicode, named the way the client sent it. */
function findInvalidText(root: unknown, part: string): { field: string; reason: string } | null {
  // Iterative: a deeply nested JSON body must not overflow the stack.
  const pending: { value: unknown; path: string }[] = [{ value: root, path: '' }];
  while (pending.length > 0) {
    const { value, path } = pending.pop()!;
    if (typeof value === 'string') {
      const reason = invalidTextReason(value);
      if (reason) return { field: path || part, reason };
    } else if (value !== null && typeof value === 'object') {
      const entries = Object.entries(value);
      for (const [key] of entries) {
        const keyReason = invalidTextReason(key);
        // The key itself is unprintable: name the object holding it.
        if (keyReason) return { field: path || part, reason: `a field name ${keyReason}` };
      }
      // Reversed onto the stack, so the first offending field in the request is the one named.
      for (const [key, child] of entries.reverse()) pending.push({ value: child, path: path ? `${path}.${key}` : key });
    }
  }
  return null;
}
