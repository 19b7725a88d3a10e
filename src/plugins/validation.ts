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

/**
 * Some text (a value, or a field name) that is not storable Unicode, named the way the client sent
 * it. Iterative, so a deeply nested body cannot overflow the stack; and the dotted path is spelled
 * out only for the offender: building one per value cost more than the checks themselves on a
 * 5,000-point heartbeat push, which every request of the ingest hot path goes through.
 */
function findInvalidText(root: unknown, part: string): { field: string; reason: string } | null {
  // The values still to look at, each with its key and the index of the container holding it.
  const values: unknown[] = [root];
  const keys: string[] = [''];
  const holders: number[] = [-1];
  // Every container visited: its key and its holder, enough to spell the path of an offender.
  const containerKeys: string[] = [];
  const containerHolders: number[] = [];
  const pathOf = (key: string, holder: number): string => {
    const parts = [key];
    for (let i = holder; i >= 0; i = containerHolders[i]) parts.push(containerKeys[i]);
    // Empty keys (the root's among them) add no segment.
    return (
      parts
        .reverse()
        .filter((k) => k !== '')
        .join('.') || part
    );
  };
  while (values.length > 0) {
    const value = values.pop();
    const key = keys.pop()!;
    const holder = holders.pop()!;
    if (typeof value === 'string') {
      if (isStorable(value)) continue;
      return { field: pathOf(key, holder), reason: invalidTextReason(value) ?? 'is not valid text' };
    }
    if (value === null || typeof value !== 'object') continue;
    const here = containerKeys.length;
    containerKeys.push(key);
    containerHolders.push(holder);
    // Pushed in reverse, so the first offending field in the request is the one named.
    if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) {
        values.push(value[i]);
        keys.push(String(i));
        holders.push(here);
      }
      continue;
    }
    const names = Object.keys(value);
    for (const name of names) {
      // The key itself is unprintable: name the object holding it.
      if (!isStorable(name)) return { field: pathOf(key, holder), reason: `a field name ${invalidTextReason(name) ?? 'is not valid text'}` };
    }
    for (let i = names.length - 1; i >= 0; i--) {
      values.push((value as Record<string, unknown>)[names[i]]);
      keys.push(names[i]);
      holders.push(here);
    }
  }
  return null;
}

/** The cheap test in front of invalidTextReason's (which words the reason): no NUL, no lone surrogate. */
function isStorable(text: string): boolean {
  return text.isWellFormed() && !text.includes('\0');
}
