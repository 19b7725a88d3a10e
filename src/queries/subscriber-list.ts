import type { Subscriber } from '../domain/model.ts';
import type { Queryable } from '../storage/database.ts';
import { findSubscriber as findSubscriberRow, listSubscribers as listSubscriberRows } from '../storage/subscriber-repository.ts';

/** Subscribers by id order, filtered by type and a search text, after a cursor (a page of `limit`). */
export function listSubscribers(db: Queryable, options: { type?: string; search?: string; limit: number; afterId?: string }): Promise<Subscriber[]> {
  return listSubscriberRows(db, options);
}

/** One subscriber by id, or null. */
export function findSubscriber(db: Queryable, id: string): Promise<Subscriber | null> {
  return findSubscriberRow(db, id);
}
