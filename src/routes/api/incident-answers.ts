import type { FastifyInstance } from 'fastify';
import type { Incident } from '../../domain/model.ts';
import { presentIncident } from '../../presenters/statuspage-v2.ts';
import { loadPage } from '../../queries/page-chrome.ts';
import { loadComponents } from '../../queries/page-structure.ts';
import type { IncidentAfterWrite } from '../../services/shared/incident-after-write.ts';

// Shared by the incident, maintenance and heartbeat-notice routes, so no route module imports another.

/** Loads what presenting an incident needs (components for `components`, the page id). */
export async function incidentPresenter(app: FastifyInstance) {
  const [components, page] = await Promise.all([loadComponents(app.db), loadPage(app.db)]);
  return (incident: Incident) => presentIncident(incident, components, page?.id ?? '', { publicUrl: app.config.publicUrl });
}

/** Presents a write's answer from the state its transaction committed (components as the write left them). */
export async function writtenIncidentPresenter(app: FastifyInstance) {
  const page = await loadPage(app.db);
  return (incident: IncidentAfterWrite) => presentIncident(incident, incident.components, page?.id ?? '', { publicUrl: app.config.publicUrl });
}
