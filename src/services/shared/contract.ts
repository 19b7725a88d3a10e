/**
 * A use-case's input contract: the TypeBox schema it declares next to itself, checked by the
 * use-case at every door (API, console form, CLI, jobs). The API route declares the same schema
 * object as its body, so Fastify answers a malformed request before the handler runs with exactly
 * the words the use-case would use: both go through `describeValidation`.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { Static, TSchema } from 'typebox';
import { ValidationError } from '../../domain/errors.ts';

/** One ajv error, as ajv and Fastify (`error.validation`) report it. */
export interface ValidationIssue {
  keyword?: string;
  instancePath?: string;
  params?: Record<string, unknown>;
  message?: string;
}

/** The field a schema validation error is about, named the way the client sent it. */
function fieldOf(issue: ValidationIssue, context: string | undefined): string {
  const path = (issue.instancePath ?? '').slice(1).replaceAll('/', '.');
  const leaf = [issue.params?.missingProperty, issue.params?.additionalProperty].find((name) => typeof name === 'string');
  const field = [path, leaf].filter(Boolean).join('.');
  return field || (context === 'body' ? 'body' : (context ?? 'request'));
}

/** What is wrong, in words a client can act on (the allowed values, the limit), not ajv's generic phrasing. */
function problemOf(issue: ValidationIssue, alternatives: unknown[]): string {
  const limit = issue.params?.limit as number | undefined;
  switch (issue.keyword) {
    case 'enum':
      return `must be one of ${(alternatives.length > 1 ? alternatives : ((issue.params?.allowedValues as unknown[] | undefined) ?? [])).join(', ')}`;
    case 'const':
      return alternatives.length > 1 ? `must be one of ${alternatives.join(', ')}` : `must be ${String(issue.params?.allowedValue)}`;
    case 'maxLength':
      return `must be at most ${limit} characters`;
    case 'minLength':
      return limit === 1 ? 'must not be empty' : `must be at least ${limit} characters`;
    case 'maxItems':
      return `must have at most ${limit} items`;
    case 'minItems':
      return `must have at least ${limit} item${limit === 1 ? '' : 's'}`;
    case 'required':
      return 'is required';
    case 'additionalProperties':
      return 'is not a known field';
    default:
      return issue.message ?? 'is invalid';
  }
}

/**
 * The one issue worth reporting: `field`, `problem` (without the field) and `message`
 * (`<field>: <problem>`). For a union (`anyOf`: an email or a webhook subscriber) each branch
 * reports its first failure; the one deepest in the request is about the branch the client meant
 * (`url` too long), not a field of the other branch it never sent.
 */
export function describeValidation(issues: readonly ValidationIssue[], context: string | undefined): { field: string; problem: string; message: string } {
  const branches = issues.filter((i) => i.keyword !== 'anyOf' && i.keyword !== 'oneOf');
  const depth = (i: ValidationIssue) => (i.instancePath ?? '').split('/').length;
  // A branch refused on its discriminator (`type` is not its value) is not the one the client meant:
  // at equal depth, another branch's complaint wins (`url` too long for a Slack subscriber, not `type`).
  const discriminator = (i: ValidationIssue) => i.keyword === 'const' || i.keyword === 'enum';
  const better = (i: ValidationIssue, best: ValidationIssue) =>
    depth(i) > depth(best) || (depth(i) === depth(best) && discriminator(best) && !discriminator(i));
  const issue = branches.length < issues.length ? branches.reduce((best, i) => (better(i, best) ? i : best), branches[0] ?? issues[0]) : issues[0];
  const alternatives = discriminator(issue)
    ? issues
        .filter((i) => discriminator(i) && i.instancePath === issue.instancePath)
        .flatMap((i) => (i.keyword === 'const' ? [i.params?.allowedValue] : ((i.params?.allowedValues as unknown[] | undefined) ?? [])))
    : [];
  const field = fieldOf(issue, context);
  const problem = problemOf(issue, alternatives);
  return { field, problem, message: `${field}: ${problem}` };
}

/**
 * Configured like the API's body validator (`plugins/validation.ts`): no type coercion, unknown
 * fields refused, defaults filled in. A door that reads text (console forms, CLI flags) converts
 * its values to the contract's types before calling the use-case.
 */
function makeAjv(): Ajv {
  const ajv = new Ajv({ coerceTypes: false, useDefaults: true, removeAdditional: false, allErrors: false, strict: false });
  (addFormats as unknown as (ajv: Ajv) => void)(ajv);
  return ajv;
}

const ajv = makeAjv();
const compiled = new WeakMap<TSchema, ValidateFunction>();

/**
 * Checks `input` against a use-case's contract and returns it typed; a violation is a
 * `ValidationError` naming the field. Defaults declared in the schema are filled into `input`.
 */
export function parseInput<T extends TSchema>(schema: T, input: unknown): Static<T> {
  let validate = compiled.get(schema);
  if (!validate) {
    validate = ajv.compile(schema);
    compiled.set(schema, validate);
  }
  if (!validate(input)) {
    const { field, problem } = describeValidation((validate.errors ?? []) as ErrorObject[], 'body');
    throw new ValidationError(field, problem);
  }
  return input as Static<T>;
}
