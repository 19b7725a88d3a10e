import { ValidationError } from './errors.ts';

/** Field checks shared by use-cases, so the API, the CLI and the console report the same errors. */
export function requireText(field: string, value: unknown, options: { max: number; allowEmpty?: boolean }): string {
  if (typeof value !== 'string') throw new ValidationError(field, 'must be a string');
  const text = value.trim();
  if (!options.allowEmpty && text.length === 0) throw new ValidationError(field, 'must not be empty');
  if (text.length > options.max) throw new ValidationError(field, `must be at most ${options.max} characters`);
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
export const BODY_MAX = 25_000;
