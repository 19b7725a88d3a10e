import type { Subscriber } from '../domain/model.ts';
import type { Queryable } from '../storage/database.ts';
import { findSubscriber as findSubscriberRow, listSubscribers as listSubscriberRows, type SubscriberState } from '../storage/subscriber-repository.ts';

export type { SubscriberState };

/**
 * Subscribers by id order, filtered by type, a search text and a state (default all), after a
 * cursor or `offset` rows (a page of `limit`). The search matches endpoint URLs only with
 * `searchUrls` (default): a caller who may not see a URL whole must not be able to guess it
 * character by character through the search.
 */
export function listSubscribers(
  db: Queryable,
  options: { type?: string; search?: string; searchUrls?: boolean; limit: number; afterId?: string; offset?: number; state?: SubscriberState },
): Promise<Subscriber[]> {
  return listSubscriberRows(db, options);
}

/** One subscriber by id, or null. */
export function findSubscriber(db: Queryable, id: string): Promise<Subscriber | null> {
  return findSubscriberRow(db, id);
}
