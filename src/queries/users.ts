import type { Queryable } from '../storage/database.ts';
import type { ResponderUser } from '../domain/model.ts';
import { listUsers as listUserRows, noUserExists } from '../storage/user-repository.ts';

/** Every console account, for the accounts page and GET /api/v1/users (the routes check user.manage). */
export function listUsers(db: Queryable): Promise<ResponderUser[]> {
  return listUserRows(db);
}

/** True on a fresh install, before the first console account is created (with the CLI). */
export function awaitsFirstAccount(db: Queryable): Promise<boolean> {
  return noUserExists(db);
}
