import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.ts';

/**
 * The public sign-up form is open to anyone, so submitting it for an address someone else already
 * signed up must change nothing of that sign-up: it only sends the address its link again (at most
 * once a minute), and answers exactly as a fresh sign-up does (no enumeration).
 */

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t.close());

const signUp = (fields: Record<string, string | string[]>) => {
  const body = new URLSearchParams();
  for (const [name, value] of Object.entries(fields)) for (const v of Array.isArray(value) ? value : [value]) body.append(name, v);
  return t.app.inject({
    method: 'POST',
    url: '/subscribe',
    payload: body.toString(),
    remoteAddress: '203.0.113.40',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
};

const subscription = async (email: string) =>
  (
    await t.db.query<{ id: string; all_components: boolean; component_ids: string[] }>(
      'SELECT id, all_components, component_ids FROM subscriber WHERE email = $1 AND unsubscribed_at IS NULL',
      [email],
    )
  )[0];

const confirmations = async (id: string) =>
  (
    await t.db.query<{ payload: { already_confirmed: boolean } }>(
      "SELECT payload FROM outbox_event WHERE type = 'subscriber.confirmation_requested' AND payload->>'subscriber_id' = $1 ORDER BY id",
      [id],
    )
  ).map((e) => e.payload.already_confirmed);

describe('public sign-up for an address already signed up', () => {
  it("leaves an unconfirmed subscriber's components alone, resends the confirmation at most once a minute, and answers as for a new address", async () => {
    const euApi = await t.componentId('eu-api');
    const fresh = await signUp({ email: 'victim@example.org', scope: 'some', components: euApi });
    expect(fresh.statusCode).toBe(200);
    const before = await subscription('victim@example.org');
    expect(before).toMatchObject({ all_components: false, component_ids: [euApi] });

    const again = await signUp({ email: 'victim@example.org', scope: 'all' });
    expect(again.statusCode).toBe(200);
    expect(again.body).toBe(fresh.body);
    expect(await subscription('victim@example.org')).toEqual(before);
    // Within the minute: no second email.
    expect(await confirmations(before.id)).toEqual([false]);

    t.clock.advance(61_000);
    await signUp({ email: 'victim@example.org', scope: 'some', components: await t.componentId('us-api') });
    expect(await subscription('victim@example.org')).toEqual(before);
    expect(await confirmations(before.id)).toEqual([false, false]);

    // A first sign-up for another address reads the same, but for the address.
    const other = await signUp({ email: 'someone@example.org' });
    expect(other.body.replaceAll('someone@example.org', 'victim@example.org')).toBe(fresh.body);
  });

  it('a confirmed subscriber is sent a manage link and its components stay as they are (as before)', async () => {
    await signUp({ email: 'reader@example.org', scope: 'some', components: await t.componentId('eu-api') });
    const before = await subscription('reader@example.org');
    await t.db.query('UPDATE subscriber SET confirmed_at = $2 WHERE id = $1', [before.id, t.clock.now()]);
    t.clock.advance(61_000);
    const again = await signUp({ email: 'reader@example.org', scope: 'all' });
    expect(again.statusCode).toBe(200);
    expect(await subscription('reader@example.org')).toEqual(before);
    expect(await confirmations(before.id)).toEqual([false, true]);
  });
});
