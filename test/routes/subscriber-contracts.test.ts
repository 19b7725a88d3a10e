import type { TSchema } from 'typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { visitorActor, labelledOperator } from '../../src/domain/actor.ts';
import { ValidationError } from '../../src/domain/errors.ts';
import { AddSubscriberBody } from '../../src/routes/api/subscribers.ts';
import { ReplayDeadLettersInput, replayDeadLetters } from '../../src/services/notifications/replay-dead-deliveries.ts';
import { limitsOf } from '../../src/services/shared/fields.ts';
import { DisableWebhookEndpointInput, disableWebhookEndpoint } from '../../src/services/subscribers/disable-webhook-endpoint.ts';
import { ImportEmailSubscribersInput, importEmailSubscribers } from '../../src/services/subscribers/import-email-subscribers.ts';
import { RegisterChatChannelInput } from '../../src/services/subscribers/register-chat-channel.ts';
import { RegisterWebhookInput, registerWebhook } from '../../src/services/subscribers/register-webhook.ts';
import { RequestWebhookSubscriptionInput, requestWebhookSubscription } from '../../src/services/subscribers/request-webhook-subscription.ts';
import { SubscribeByEmailInput, subscribeByEmail } from '../../src/services/subscribers/subscribe-by-email.ts';
import { UpdateSubscriptionInput, updateSubscription } from '../../src/services/subscribers/update-subscription.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';

/**
 * The subscriber and delivery routes declare the use-cases' own contracts as their bodies: the
 * OpenAPI document shows exactly what the use-case checks, and a use-case called directly (by the
 * console, the public forms, a test) refuses bad input in the same words as the API.
 */
let t: TestApp;
let token: string;

beforeAll(async () => {
  t = await startTestApp();
  token = await t.token('subscribers:write');
});
afterAll(() => t.close());

/** The schema as JSON, the way @fastify/swagger writes it for OpenAPI 3.0 (which has no `const`, so `{const: x}` becomes `{enum: [x]}`). */
function asOpenApi(schema: TSchema): unknown {
  return JSON.parse(JSON.stringify(schema), (_key, value: unknown) => {
    if (value && typeof value === 'object' && !Array.isArray(value) && 'const' in value) {
      const { const: only, ...rest } = value as Record<string, unknown>;
      return { ...rest, enum: [only] };
    }
    return value;
  });
}

describe("the route bodies are the use-cases' contracts", () => {
  const bodyOf = async (path: string) => {
    const doc = (await t.app.inject({ method: 'GET', url: '/api/v1/openapi.json' })).json();
    return doc.paths[path].post.requestBody.content['application/json'].schema;
  };

  it.each<[path: string, contract: TSchema]>([
    ['/api/v1/subscribers', AddSubscriberBody],
    ['/api/v1/subscribers/{id}/disable', DisableWebhookEndpointInput],
    ['/api/v1/deliveries/replay', ReplayDeadLettersInput],
  ])('POST %s', async (path, contract) => {
    expect(await bodyOf(path)).toEqual(asOpenApi(contract));
  });

  it('adds a subscriber with any of the three contracts, told apart by type', () => {
    expect(AddSubscriberBody.anyOf).toEqual([SubscribeByEmailInput, RegisterWebhookInput, RegisterChatChannelInput]);
    expect(AddSubscriberBody.anyOf[0]).toBe(SubscribeByEmailInput);
    expect(AddSubscriberBody.anyOf[1]).toBe(RegisterWebhookInput);
    expect(AddSubscriberBody.anyOf[2]).toBe(RegisterChatChannelInput);
  });

  it('imports CSV text, whose rows the API hands to the import use-case', async () => {
    expect(await bodyOf('/api/v1/subscribers/import')).toEqual({ type: 'string', maxLength: 10 * 1024 * 1024 });
    expect(Object.keys(ImportEmailSubscribersInput.properties)).toEqual(['rows', 'confirmed']);
  });

  it("gives the forms their maxlength from the contracts (254: the domain's address limit, RFC 5321)", () => {
    expect(limitsOf(SubscribeByEmailInput)).toEqual({ email: 254 });
    expect(limitsOf(RequestWebhookSubscriptionInput)).toEqual({ url: 2000, email: 254 });
    expect(limitsOf(DisableWebhookEndpointInput)).toEqual({ reason: 500 });
    expect(limitsOf(UpdateSubscriptionInput)).toEqual({});
  });
});

describe('a use-case called directly says what the API says', () => {
  const api = (url: string, payload: object) => t.app.inject({ method: 'POST', url, payload, headers: { authorization: `Bearer ${token}` } });
  const refusal = async (call: Promise<unknown>) => {
    const error = await call.then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ValidationError);
    const { code, field, message } = error as ValidationError;
    return { error: code, field, message };
  };
  const accept = async () => ({ ok: true as const });
  const secret = () => 'whsec_dGVzdA==';
  const operator = () => t.app.serviceContext(labelledOperator('test'));

  const longAddress = `${'a'.repeat(64)}@${'b'.repeat(60)}.${'c'.repeat(60)}.${'d'.repeat(60)}.example`;
  const CASES: [name: string, payload: Record<string, unknown>, expected: { field: string; message: string }][] = [
    ['an address longer than 254 characters', { type: 'email', email: longAddress }, { field: 'email', message: 'email: must be at most 254 characters' }],
    ['an empty address', { type: 'email', email: '' }, { field: 'email', message: 'email: must be an email address such as ops@example.com' }],
    [
      'an address that is not one',
      { type: 'email', email: 'not-an-address' },
      {
        field: 'email',
        message: 'email: must be an email address such as ops@example.com, and only the address (no name, quotes, comments, brackets or spaces)',
      },
    ],
    [
      'too many components',
      { type: 'email', email: 'a@example.org', component_ids: Array.from({ length: 501 }, (_, i) => `c${i}`) },
      { field: 'component_ids', message: 'component_ids: must have at most 500 items' },
    ],
    [
      'a component that does not exist',
      { type: 'email', email: 'a@example.org', component_ids: ['nope'] },
      { field: 'component_ids.0', message: 'component_ids.0: no such component "nope"' },
    ],
    [
      'a webhook URL longer than 2000 characters',
      { type: 'webhook', url: `https://hooks.example.org/${'a'.repeat(2000)}` },
      { field: 'url', message: 'url: must be at most 2000 characters' },
    ],
    [
      'a webhook owner address longer than 254 characters',
      { type: 'webhook', url: 'https://hooks.example.org/x', email: longAddress },
      { field: 'email', message: 'email: must be at most 254 characters' },
    ],
  ];

  it.each(CASES)('adding a subscriber: %s', async (_name, payload, expected) => {
    const response = await api('/api/v1/subscribers', payload);
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({ error: 'invalid_input', ...expected });
    const direct =
      payload.type === 'email'
        ? subscribeByEmail(operator(), structuredClone(payload), { source: 'api' })
        : registerWebhook(operator(), structuredClone(payload), accept, secret);
    expect(await refusal(direct)).toEqual({ error: 'invalid_input', ...expected });
  });

  it('the public webhook sign-up and the manage page meet the same field rules', async () => {
    expect(
      await refusal(
        requestWebhookSubscription(t.app.serviceContext(visitorActor('public')), { url: 'https://hooks.example.org/x', email: longAddress }, accept, secret),
      ),
    ).toEqual({ error: 'invalid_input', field: 'email', message: 'email: must be at most 254 characters' });
    expect(await refusal(updateSubscription(t.app.serviceContext(visitorActor('subscriber')), 'any', { component_ids: 'eu-api' }))).toEqual({
      error: 'invalid_input',
      field: 'component_ids',
      message: 'component_ids: must be array',
    });
  });

  it('disabling an endpoint: a reason longer than 500 characters', async () => {
    const response = await api('/api/v1/subscribers/any/disable', { reason: 'x'.repeat(501) });
    const expected = { error: 'invalid_input', field: 'reason', message: 'reason: must be at most 500 characters' };
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual(expected);
    expect(await refusal(disableWebhookEndpoint(operator(), 'any', { reason: 'x'.repeat(501) }))).toEqual(expected);
  });

  it.each<[name: string, payload: Record<string, unknown>, expected: { field: string; message: string }]>([
    ['an empty list of ids', { ids: [] }, { field: 'ids', message: 'ids: must have at least 1 item' }],
    ['an unknown field', { id: 1 }, { field: 'id', message: 'id: is not a known field' }],
    ['nothing to replay', {}, { field: 'ids', message: 'ids: give the deliveries to replay, or a notice (event_id)' }],
    [
      'an event id no row can have',
      { event_id: 1e20 },
      { field: 'event_id', message: `event_id: must be a whole number from 1 to ${Number.MAX_SAFE_INTEGER}` },
    ],
  ])('replaying dead letters: %s', async (_name, payload, expected) => {
    const response = await api('/api/v1/deliveries/replay', payload);
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({ error: 'invalid_input', ...expected });
    expect(await refusal(replayDeadLetters(operator(), structuredClone(payload)))).toEqual({ error: 'invalid_input', ...expected });
  });

  it("an import reports a too-long address on its line, as the API's CSV import does", async () => {
    const csv = `email\n${longAddress}\n`;
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/v1/subscribers/import',
      payload: csv,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'text/csv' },
    });
    const expected = { created: 0, existing: 0, invalid: [{ line: 2, error: 'email: must be at most 254 characters' }] };
    expect(response.json()).toEqual(expected);
    expect(await importEmailSubscribers(operator(), { rows: [{ line: 2, email: longAddress, components: '' }] })).toEqual(expected);
  });
});
