import type { Component, ComponentGroup, Incident, OutboxEvent, Page } from '../domain/model.ts';
import { pageIndicator, type ComponentStatus, type Indicator } from '../domain/status.ts';
import type { Database } from '../storage/database.ts';
import { findIncident, listUnresolved } from '../storage/incident-repository.ts';
import { findPage, listComponents, listGroups } from '../storage/page-repository.ts';

/** Everything needed to tell subscribers about one outbox event (the notice's read model). */
export interface NoticeData {
  eventType: string;
  page: Page;
  publicUrl: string;
  indicator: { indicator: Indicator; description: string };
  components: Component[];
  groups: ComponentGroup[];
  /** The incident or maintenance the event is about, with the update it announces. */
  incident?: Incident;
  updateId?: string;
  /** For component.updated */
  componentChange?: { component: Component; oldStatus: ComponentStatus; newStatus: ComponentStatus; at: Date };
}

/** The incident or component an event is about is gone (a deleted incident): nothing can be told about it, now or later. */
export class NoticeSubjectGone extends Error {}

/** Everything needed to tell subscribers about one outbox event, read once per event. */
export async function loadNoticeData(db: Database, event: OutboxEvent, publicUrl: string): Promise<NoticeData> {
  const [page, components, groups, unresolvedIncidents, openMaintenances] = await Promise.all([
    findPage(db),
    listComponents(db),
    listGroups(db),
    listUnresolved(db, 'incident'),
    listUnresolved(db, 'maintenance'),
  ]);
  if (!page) throw new Error('the page has not been synced yet');
  const indicator = pageIndicator({ components, unresolvedIncidents, maintenances: openMaintenances });
  const data: NoticeData = { eventType: event.type, page, publicUrl, indicator, components, groups };
  const payload = event.payload;
  if (typeof payload.incident_id === 'string') {
    const incident = await findIncident(db, payload.incident_id);
    if (!incident) throw new NoticeSubjectGone(`incident ${payload.incident_id} of event ${event.id} no longer exists (deleted)`);
    data.incident = incident;
    data.updateId = payload.update_id as string | undefined;
  } else if (typeof payload.component_id === 'string') {
    const component = components.find((c) => c.id === payload.component_id);
    if (!component) throw new NoticeSubjectGone(`component ${payload.component_id} of event ${event.id} no longer exists`);
    data.componentChange = {
      component,
      oldStatus: payload.old_status as ComponentStatus,
      newStatus: payload.new_status as ComponentStatus,
      at: event.created_at,
    };
  }
  return data;
}
