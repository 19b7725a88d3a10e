import type { FastifyInstance } from 'fastify';
import type { Incident } from '../../domain/model.ts';
import { presentIncident, siblingPositions } from '../../presenters/statuspage-v2.ts';
import { loadPage } from '../../queries/page-chrome.ts';
import { loadPageStructure } from '../../queries/page-structure.ts';
import type { IncidentAfterWrite } from '../../services/shared/incident-after-write.ts';

// Shared by the incident, maintenance and heartbeat-notice routes, so no route module imports another.

/** Loads what presenting an incident needs (components for `components`, the page id). */
export async function incidentPresenter(app: FastifyInstance) {
  const [{ groups, components }, page] = await Promise.all([loadPageStructure(app.db), loadPage(app.db)]);
  const options = { publicUrl: app.config.publicUrl, positions: siblingPositions(groups, components) };
  return (incident: Incident) => presentIncident(incident, components, page?.id ?? '', options);
}

/** Presents a write's answer from the state its transaction committed (components as the write left them). */
export async function writtenIncidentPresenter(app: FastifyInstance) {
  const [{ groups, components }, page] = await Promise.all([loadPageStructure(app.db), loadPage(app.db)]);
  const options = { publicUrl: app.config.publicUrl, positions: siblingPositions(groups, components) };
  return (incident: IncidentAfterWrite) => presentIncident(incident, incident.components, page?.id ?? '', options);
}
