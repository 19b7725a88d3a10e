import type { Queryable } from '../storage/database.ts';
import type { SecretBox } from '../storage/secret-box.ts';
import { listAlertRecipients as listAlertRecipientRows } from '../storage/subscriber-repository.ts';
import type { AlertRecipient } from '../domain/model.ts';

/** The responders alerted for heartbeat series (from the page definition), with their webhook secrets opened. */
export function listAlertRecipients(db: Queryable, box: SecretBox): Promise<AlertRecipient[]> {
  return listAlertRecipientRows(db, box);
}
