/**
 * The maintenance calendar (`/maintenances.ics`, RFC 5545): one VEVENT per maintenance the page
 * shows (upcoming, under way and recent), subscribable from Google Calendar, Outlook and Apple
 * Calendar. A calendar that polls it sees an event move (SEQUENCE goes up with every update of the
 * maintenance) and one that is called off (STATUS:CANCELLED), under a UID that never changes.
 */
import type { Component, Maintenance } from '../domain/model.ts';
import type { PublicStatus } from '../queries/load-public-status.ts';
import { qualifiedName } from './status-page-view.ts';

const CRLF = '\r\n';
/** RFC 5545 3.1: lines of at most 75 octets, longer ones folded. */
const LINE_OCTETS = 75;

/**
 * TEXT as RFC 5545 3.3.11 writes it: backslash, semicolon and comma escaped, a newline as `\n`;
 * other control characters (which the grammar does not allow) dropped.
 */
export function escapeText(text: string): string {
  return (
    text
      .replace(/\r\n?/g, '\n')
      // eslint-disable-next-line no-control-regex -- the control characters are the point
      .replace(/[\u0000-\u0008\u000B-\u001F\u007F]/g, '')
      .replace(/[\\;,]/g, (c) => `\\${c}`)
      .replace(/\n/g, '\\n')
  );
}

/** Folds one content line at 75 octets (RFC 5545 3.1), never inside a UTF-8 character. */
export function foldLine(line: string): string {
  const parts: string[] = [];
  let current = '';
  let octets = 0;
  for (const char of line) {
    const size = Buffer.byteLength(char);
    // A continuation line starts with a space, which counts toward its 75 octets.
    const limit = parts.length === 0 ? LINE_OCTETS : LINE_OCTETS - 1;
    if (octets + size > limit) {
      parts.push(current);
      current = '';
      octets = 0;
    }
    current += char;
    octets += size;
  }
  parts.push(current);
  return parts.join(`${CRLF} `);
}

/** A UTC date-time, `20260312T020000Z`. */
const utc = (date: Date) => `${date.toISOString().slice(0, 19).replace(/[-:]/g, '')}Z`;

/** When it really took place once it has begun; its announced window until then, or if it never did. */
function eventWindow(maintenance: Maintenance): { start: Date; end: Date } {
  if (maintenance.status === 'scheduled' || maintenance.cancelled_at) return { start: maintenance.scheduled_for, end: maintenance.scheduled_until };
  const start = maintenance.started_at;
  const plannedEnd = maintenance.scheduled_until > start ? maintenance.scheduled_until : start;
  const end = maintenance.status === 'completed' && maintenance.resolved_at ? maintenance.resolved_at : plannedEnd;
  return { start, end: end > start ? end : plannedEnd };
}

export function buildMaintenanceCalendar(status: PublicStatus, publicUrl: string, component: Component | null = null): string {
  const host = new URL(publicUrl).host;
  const label = component ? qualifiedName(component, status.groups) : null;
  const names = new Map(status.components.map((c) => [c.id, qualifiedName(c, status.groups)]));
  const lines = [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'PRODID:-//Lifeline//Maintenance calendar//EN',
    'CALSCALE:GREGORIAN',
    'METHOD:PUBLISH',
    `NAME:${escapeText(`${status.page.name} maintenance${label ? `: ${label}` : ''}`)}`,
    `X-WR-CALNAME:${escapeText(`${status.page.name} maintenance${label ? `: ${label}` : ''}`)}`,
    // How often a subscribed calendar should look again (RFC 7986, and Outlook's own property).
    'REFRESH-INTERVAL;VALUE=DURATION:PT1H',
    'X-PUBLISHED-TTL:PT1H',
  ];
  const maintenances = status.maintenances
    .filter((m) => !component || m.component_ids.includes(component.id))
    .sort((a, b) => Number(a.scheduled_for) - Number(b.scheduled_for) || a.id.localeCompare(b.id));
  for (const maintenance of maintenances) {
    const { start, end } = eventWindow(maintenance);
    const url = `${publicUrl}/incidents/${maintenance.id}`;
    const affected = maintenance.component_ids.flatMap((id) => names.get(id) ?? []);
    const latest = maintenance.updates[0]?.body ?? '';
    const description = [latest, affected.length > 0 ? `Affects: ${affected.join(', ')}` : '', url].filter(Boolean).join('\n\n');
    lines.push(
      'BEGIN:VEVENT',
      `UID:maintenance-${maintenance.id}@${host}`,
      `DTSTAMP:${utc(maintenance.updated_at)}`,
      `CREATED:${utc(maintenance.created_at)}`,
      `LAST-MODIFIED:${utc(maintenance.updated_at)}`,
      // Every change to a maintenance is an update of its timeline, which only ever grows.
      `SEQUENCE:${Math.max(0, maintenance.updates.length - 1)}`,
      `DTSTART:${utc(start)}`,
      `DTEND:${utc(end)}`,
      `SUMMARY:${escapeText(`Maintenance: ${maintenance.name}`)}`,
      `DESCRIPTION:${escapeText(description)}`,
      `URL:${url}`,
      `STATUS:${maintenance.cancelled_at ? 'CANCELLED' : 'CONFIRMED'}`,
      // Maintenance does not fill the subscriber's own time.
      'TRANSP:TRANSPARENT',
      'END:VEVENT',
    );
  }
  lines.push('END:VCALENDAR');
  return lines.map(foldLine).join(CRLF) + CRLF;
}
