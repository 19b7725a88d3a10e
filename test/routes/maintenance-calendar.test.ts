import ICAL from 'ical.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { escapeText, foldLine } from '../../src/presenters/maintenance-calendar.ts';
import { buildNotice } from '../../src/presenters/notice.ts';
import { loadNoticeData } from '../../src/queries/load-notice-data.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { consoleClient } from '../helpers/console-client.ts';

/**
 * The maintenance calendar (/maintenances.ics), read back with ical.js (the iCalendar parser of
 * Mozilla Thunderbird), and the cancel that marks an event cancelled in it and tells subscribers.
 */
let t: TestApp;
let token: string;
let upcomingId: string;
let runningId: string;
const NAME = 'Upgrade; DB, "primary" \\ <b>now</b>';
// Long, with characters of 2, 3 and 4 octets, so folding has to step around them.
const BODY = `Zürich 東京 🚧 window.\nSecond line; with, separators \\ and a long tail ${'ä東🚧'.repeat(30)}`;

beforeAll(async () => {
  t = await startTestApp();
  token = await t.token('admin');
  upcomingId = (
    await post('/api/v1/maintenances', {
      name: NAME,
      body: BODY,
      scheduled_for: '2026-03-12T10:00:00Z',
      scheduled_until: '2026-03-12T11:30:00Z',
      components: ['eu-api'],
    })
  ).json().id;
  runningId = (
    await post('/api/v1/maintenances', {
      name: 'Website move',
      body: 'Planned',
      scheduled_for: '2026-03-10T13:00:00Z',
      scheduled_until: '2026-03-10T14:00:00Z',
      components: ['website'],
    })
  ).json().id;
  expect((await post(`/api/v1/maintenances/${runningId}/start`)).statusCode).toBe(200);
  await t.settle();
});
afterAll(() => t?.close());

function post(url: string, payload: object = {}) {
  return t.app.inject({ method: 'POST', url, payload, headers: { authorization: `Bearer ${token}` } });
}
const get = (url: string, headers: Record<string, string> = {}) => t.app.inject({ method: 'GET', url, headers });

/** The VEVENTs of a calendar as ical.js reads them, by UID. */
function events(text: string) {
  const calendar = new ICAL.Component(ICAL.parse(text));
  expect(calendar.name).toBe('vcalendar');
  return new Map(
    calendar.getAllSubcomponents('vevent').map((vevent) => {
      const event = new ICAL.Event(vevent);
      return [
        event.uid,
        {
          summary: event.summary,
          description: event.description,
          start: event.startDate.toJSDate().toISOString(),
          end: event.endDate.toJSDate().toISOString(),
          utc: event.startDate.zone?.tzid === 'UTC' && event.endDate.zone?.tzid === 'UTC',
          sequence: event.sequence,
          status: vevent.getFirstPropertyValue('status'),
          url: vevent.getFirstPropertyValue('url'),
        },
      ] as const;
    }),
  );
}

describe('GET /maintenances.ics', () => {
  it('is RFC 5545: CRLF lines of at most 75 octets, folded, that ical.js reads back to the exact text', async () => {
    const response = await get('/maintenances.ics');
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/calendar; charset=utf-8');
    expect(response.headers['access-control-allow-origin']).toBe('*');
    expect(response.headers.etag).toBeDefined();
    const text = response.body;
    expect(text.startsWith('BEGIN:VCALENDAR\r\nVERSION:2.0\r\n')).toBe(true);
    expect(text.endsWith('END:VCALENDAR\r\n')).toBe(true);
    const lines = text.split('\r\n').slice(0, -1);
    expect(lines.every((line) => !line.includes('\n') && !line.includes('\r'))).toBe(true);
    expect(Math.max(...lines.map((line) => Buffer.byteLength(line)))).toBeLessThanOrEqual(75);
    expect(lines.some((line) => line.startsWith(' '))).toBe(true);
    // No line break fell inside a character.
    expect(text).not.toContain('\uFFFD');

    const all = events(text);
    expect([...all.keys()].sort()).toEqual([`maintenance-${runningId}@status.acme.example`, `maintenance-${upcomingId}@status.acme.example`].sort());
    const upcoming = all.get(`maintenance-${upcomingId}@status.acme.example`);
    expect(upcoming).toMatchObject({
      summary: `Maintenance: ${NAME}`,
      start: '2026-03-12T10:00:00.000Z',
      end: '2026-03-12T11:30:00.000Z',
      utc: true,
      sequence: 0,
      status: 'CONFIRMED',
      url: `https://status.acme.example/incidents/${upcomingId}`,
    });
    expect(upcoming?.description).toBe(`${BODY}\n\nAffects: API (Europe)\n\nhttps://status.acme.example/incidents/${upcomingId}`);
    // Begun: when it really started, and SEQUENCE moved with its update.
    expect(all.get(`maintenance-${runningId}@status.acme.example`)).toMatchObject({ start: '2026-03-10T12:00:00.000Z', sequence: 1, status: 'CONFIRMED' });
  });

  it('gives one component its own calendar with ?component=, and refuses an unknown one naming the field', async () => {
    const europe = events((await get('/maintenances.ics?component=eu-api')).body);
    expect([...europe.keys()]).toEqual([`maintenance-${upcomingId}@status.acme.example`]);
    const website = await get(`/maintenances.ics?component=${await t.componentId('website')}`);
    expect([...events(website.body).keys()]).toEqual([`maintenance-${runningId}@status.acme.example`]);
    expect(website.body).toContain('X-WR-CALNAME:Acme Chat maintenance: Website\r\n');
    const unknown = await get('/maintenances.ics?component=nope');
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().field).toBe('component');
  });
});

describe('cancelling a scheduled maintenance', () => {
  it('marks its event cancelled under the same UID with a higher SEQUENCE, and says "Cancelled" on its page', async () => {
    t.clock.set('2026-03-10T12:30:00Z');
    const cancelled = await post(`/api/v1/maintenances/${upcomingId}/cancel`);
    expect(cancelled.statusCode, cancelled.body).toBe(200);
    expect(cancelled.json()).toMatchObject({ status: 'completed', resolved_at: '2026-03-10T12:30:00.000Z' });
    expect(cancelled.json().incident_updates[0].body).toBe('This scheduled maintenance has been cancelled and will not take place.');
    // Its components never went under maintenance, and none changed.
    expect(cancelled.json().incident_updates[0].affected_components).toBeNull();
    await t.settle();

    const event = events((await get('/maintenances.ics')).body).get(`maintenance-${upcomingId}@status.acme.example`);
    expect(event).toMatchObject({ status: 'CANCELLED', sequence: 1, start: '2026-03-12T10:00:00.000Z', end: '2026-03-12T11:30:00.000Z' });
    const page = await get(`/incidents/${upcomingId}`);
    expect(page.body).toMatch(/Cancelled/);
    // Gone from the widget feed's upcoming list.
    expect((await get('/embed/status.json')).json().scheduled_maintenances).toEqual([]);
  });

  it('tells subscribers it is cancelled, not completed', async () => {
    const [event] = await t.db.query<{ id: number; type: string; payload: Record<string, unknown>; created_at: Date }>(
      "SELECT id, type, payload, created_at FROM outbox_event WHERE type = 'maintenance.cancelled'",
    );
    expect(event.payload).toMatchObject({ incident_id: upcomingId, deliver_notifications: true });
    const notice = buildNotice(t.app.views, await loadNoticeData(t.db, event, 'https://status.acme.example'));
    expect(notice.subject).toBe(`[Acme Chat] Maintenance cancelled: ${NAME}`);
    expect(notice.statusLabel).toBe('Maintenance cancelled');
    expect(notice.bodyText).toContain('has been cancelled');
  });

  it('refuses one that has begun or is over (409), and an unknown one (404)', async () => {
    const begun = await post(`/api/v1/maintenances/${runningId}/cancel`);
    expect(begun.statusCode).toBe(409);
    expect(begun.json().message).toMatch(/complete it instead/);
    expect((await post(`/api/v1/maintenances/${upcomingId}/cancel`)).statusCode).toBe(409);
    expect((await post('/api/v1/maintenances/nosuchid/cancel')).statusCode).toBe(404);
  });

  it('is offered by the console for a scheduled maintenance, behind its CSRF check', async () => {
    const scheduled = (
      await post('/api/v1/maintenances', {
        name: 'Later work',
        body: 'Planned',
        scheduled_for: '2026-03-20T10:00:00Z',
        scheduled_until: '2026-03-20T11:00:00Z',
      })
    ).json().id;
    const consoleUser = consoleClient(t);
    await consoleUser.account('responder@acme.example', 'responder');
    const session = await consoleUser.signIn('responder@acme.example');
    const dashboard = await consoleUser.get('/console', session);
    expect(dashboard.body).toContain(`formaction="/console/maintenances/${scheduled}/cancel"`);
    expect(dashboard.body).not.toContain('(cancel)');
    const forged = await consoleUser.post(`/console/maintenances/${scheduled}/cancel`, { _csrf: 'wrong', notify: 'on' }, session);
    expect(forged.statusCode).toBe(403);
    const done = await consoleUser.post(`/console/maintenances/${scheduled}/cancel`, { _csrf: session.csrf, notify: 'on' }, session);
    expect(done.statusCode, done.body).toBe(303);
    expect(done.headers.location).toBe('/console?done=cancelled');
    const read = await t.app.inject({ method: 'GET', url: `/api/v1/maintenances/${scheduled}`, headers: { authorization: `Bearer ${token}` } });
    expect(read.json().incident_updates[0].body).toMatch(/cancelled/);
  });
});

describe('iCalendar text', () => {
  it('escapes backslash, semicolon, comma and newlines, and drops control characters', () => {
    expect(escapeText('a\\b;c,d\r\ne\nf\u0000g\u0007')).toBe('a\\\\b\\;c\\,d\\ne\\nfg');
  });

  it('folds at 75 octets without splitting a character, and unfolds to the same text', () => {
    const line = `DESCRIPTION:${'東'.repeat(60)}`;
    const folded = foldLine(line);
    const parts = folded.split('\r\n');
    expect(parts.length).toBeGreaterThan(1);
    for (const part of parts) expect(Buffer.byteLength(part)).toBeLessThanOrEqual(75);
    expect(parts.slice(1).every((part) => part.startsWith(' '))).toBe(true);
    expect(folded.replaceAll('\r\n ', '')).toBe(line);
    expect(foldLine('SHORT:x')).toBe('SHORT:x');
  });
});
