import type { Page } from '../domain/model.ts';
import type { Queryable } from '../storage/database.ts';
import { findPage } from '../storage/page-repository.ts';

/** The page's own settings (name, time zone, links) that console pages, emails and their chrome show. Null before the first sync. */
export function loadPage(db: Queryable): Promise<Page | null> {
  return findPage(db);
}
