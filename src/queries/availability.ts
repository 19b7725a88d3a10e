import { DatabaseUnavailableError } from '../storage/database.ts';

/** Whether a read or write failed because the database cannot be reached right now (pages answer 503, not 500). */
export function isDatabaseUnavailable(error: unknown): boolean {
  return error instanceof DatabaseUnavailableError;
}
