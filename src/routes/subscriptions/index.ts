import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import formbody from '@fastify/formbody';
import rateLimit from '@fastify/rate-limit';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import PostalMime from 'postal-mime';
import Type from 'typebox';
import { visitorActor } from '../../domain/actor.ts';
import { CHAT_PLATFORM_LABELS, CHAT_PLATFORMS, isChatPlatform } from '../../domain/chat-platform.ts';
import { emailAddressKey, parseEmailAddress } from '../../domain/email-address.ts';
import { DomainError, NotFoundError } from '../../domain/errors.ts';
import { verifyLinkToken, type LinkPurpose } from '../../domain/link-token.ts';
import { KeyedRateLimit } from '../../plugins/address-rate-limit.ts';
import { httpStatusOf } from '../../plugins/http-errors.ts';
import { describeValidation } from '../../services/shared/contract.ts';
import { Enum, limitsOf } from '../../services/shared/fields.ts';
import { assertSameOrigin } from '../../plugins/same-origin.ts';
import { pageSecurityHeaders } from '../../plugins/security-headers.ts';
import { componentChoices, subscriptionPageView } from '../../presenters/subscription-view.ts';
import { confirmSubscriber } from '../../services/subscribers/confirm-subscriber.ts';
import type { ChatUrlChecks } from '../../services/subscribers/chat-endpoint.ts';
import { RequestChatSubscriptionInput, requestChatSubscription } from '../../services/subscribers/request-chat-subscription.ts';
import { RequestWebhookSubscriptionInput, requestWebhookSubscription } from '../../services/subscribers/request-webhook-subscription.ts';
import { rotateWebhookSecret } from '../../services/subscribers/rotate-webhook-secret.ts';
import { SubscribeByEmailInput, subscribeByEmail } from '../../services/subscribers/subscribe-by-email.ts';
import { unsubscribe } from '../../services/subscribers/unsubscribe.ts';
import { updateSubscription, type UpdateSubscriptionInput } from '../../services/subscribers/update-subscription.ts';
import type { CheckWebhookUrl } from '../../services/subscribers/webhook-endpoint.ts';
import { loadPage } from '../../queries/page-chrome.ts';
import { loadPageStructure } from '../../queries/page-structure.ts';
import { findSubscriber } from '../../queries/subscriber-list.ts';

const Token = Type.Object({ token: Type.String({ minLength: 10, maxLength: 400 }) });
const Components = Type.Optional(Type.Union([Type.String(), Type.Array(Type.String(), { maxItems: 500 })]));
const HTML = { 200: Type.String(), 400: Type.String(), 403: Type.String(), 404: Type.String(), 429: Type.String() };
const asList = (value: string | string[] | undefined) => (value === undefined ? [] : Array.isArray(value) ? value : [value]);
/** The chosen components: the radio "only these" with its boxes; "everything" is no list at all. */
const chosenComponents = (body: { scope?: string; components?: string | string[] }) => (body.scope === 'some' ? asList(body.components) : []);

/**
 * The sign-up forms' fields, each with the contract's own schema for the value it carries (so a
 * too-long address is refused in the same words as by the API), plus the form's radio button.
 */
const EmailSignUpForm = Type.Object({ email: SubscribeByEmailInput.properties.email, components: Components, scope: Type.Optional(Type.String()) });
const WebhookSignUpForm = Type.Object({
  url: RequestWebhookSubscriptionInput.properties.url,
  email: RequestWebhookSubscriptionInput.properties.email,
  components: Components,
  scope: Type.Optional(Type.String()),
});
const ChatSignUpForm = Type.Object({
  // The form's "tell from the URL" choice is the empty value.
  type: Type.Optional(Type.Union([Enum(CHAT_PLATFORMS), Type.Literal('')])),
  url: RequestChatSubscriptionInput.properties.url,
  components: Components,
  scope: Type.Optional(Type.String()),
});
/** The forms' `maxlength`s, from the contracts. */
const LIMITS = { ...limitsOf(SubscribeByEmailInput), ...limitsOf(RequestWebhookSubscriptionInput), ...limitsOf(RequestChatSubscriptionInput) };

/** The Subject of a raw message, unfolded and decoded (mail clients fold long subjects and RFC 2047-encode non-ASCII ones). */
async function subjectOfRawMessage(raw: string): Promise<string | null> {
  try {
    return (await PostalMime.parse(raw)).subject ?? null;
  } catch {
    return null;
  }
}

/** The token of a subject such as "unsubscribe <token>", wherever the inbound mail format puts it. */
export async function unsubscribeTokenIn(body: unknown): Promise<string | null> {
  let subject: unknown = null;
  if (typeof body === 'string') subject = await subjectOfRawMessage(body);
  else if (body && typeof body === 'object') {
    const fields = body as Record<string, unknown>;
    subject =
      fields.subject ?? fields.Subject ?? (fields.headers && typeof fields.headers === 'object' ? (fields.headers as Record<string, unknown>).subject : null);
  }
  if (typeof subject !== 'string') return null;
  return /\bunsubscribe\s+([A-Za-z0-9_.~-]{10,400})/i.exec(subject)?.[1] ?? null;
}

export interface SubscriptionRouteOptions {
  checkWebhookUrl: CheckWebhookUrl;
  generateWebhookSecret(): string;
  chatUrls: ChatUrlChecks;
}

/**
 * Public subscription pages: sign up by email or webhook (double opt-in: the owner's email
 * confirms), confirm, manage, one-click unsubscribe. Forms work without JavaScript; answers never
 * reveal whether an address or endpoint is known.
 */
export async function subscriptionRoutes(parent: FastifyInstance, options: SubscriptionRouteOptions) {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();
  await app.register(formbody);
  // Raw messages piped from a mail server to /inbound/unsubscribe.
  app.addContentTypeParser(['message/rfc822', 'text/plain'], { parseAs: 'string', bodyLimit: 256 * 1024 }, (_request, body, done) => done(null, body));
  await app.register(rateLimit, { global: false });
  const perAddress = new KeyedRateLimit({ max: 5, windowMs: 3_600_000, now: () => app.clock.now().getTime() });
  const ipLimit = { rateLimit: { max: 20, timeWindow: 60_000 } };
  // Unsubscribes arrive from mailbox providers (RFC 8058 one-click) and inbound-mail webhooks: a
  // few addresses carry everyone's, in a burst after a large notice. The signed token is the
  // credential (not guessable), so their limit only caps abuse, not honest bursts.
  const unsubscribeLimit = { rateLimit: { max: 1_200, timeWindow: 60_000 } };

  const render = async (reply: FastifyReply, status: number, view: Parameters<typeof subscriptionPageView>[1]) => {
    const page = await loadPage(app.db);
    if (!page) throw new NotFoundError('page', 'default');
    // Forms that change a subscription: never framed (no clickjacking), no script at all. The
    // referrer goes to this site only (the address may hold a token): with no referrer at all, an
    // old browser would post the form with Origin: null, which same-origin checks refuse.
    const html = app.views.page('pages/subscription', { ...subscriptionPageView(page, view), limits: LIMITS }, 'main');
    return reply
      .code(status)
      .type('text/html; charset=utf-8')
      .header('cache-control', 'no-store')
      .headers(pageSecurityHeaders(html, app.views.scriptHashes, { framing: 'deny', referrer: 'same-origin' }))
      .send(html);
  };
  const choices = async (selected: { all: boolean; ids: string[] }) => {
    const { groups, components } = await loadPageStructure(app.db);
    return componentChoices(groups, components, selected);
  };
  const claims = (request: { params: { token: string } }, purpose: LinkPurpose) =>
    verifyLinkToken(request.params.token, purpose, app.linkKey(), app.clock.now());
  const invalidLink = (reply: FastifyReply) =>
    render(reply, 404, {
      title: 'Link not valid',
      heading: 'This link is not valid',
      message: 'It may have expired or been used already. You can sign up again from the status page.',
    });

  // HTML errors for HTML pages: a 400/403/429 says what is wrong in words, not JSON.
  app.setErrorHandler(async (error: FastifyError, _request, reply) => {
    const status = httpStatusOf(error);
    if (status >= 500) throw error;
    const message =
      status === 429
        ? 'Too many requests. Please wait a little and try again.'
        : error.validation
          ? describeValidation(error.validation, error.validationContext).message
          : error.message;
    return render(reply, status, { title: 'Subscription', heading: status === 403 ? 'Request refused' : 'Please check your request', message });
  });

  app.get('/subscribe', { schema: { hide: true, response: HTML } }, async (_request, reply) =>
    render(reply, 200, {
      title: 'Subscribe to updates',
      heading: 'Get notified of incidents and maintenance',
      message: 'Enter your email address. We will send a confirmation link; nothing else is sent until you click it.',
      form: { action: '/subscribe', button: 'Subscribe' },
      choices: await choices({ all: true, ids: [] }),
      email: '',
      alternative: { href: '/subscribe/webhook', text: 'Integrating a system? Receive signed webhooks instead.' },
      chatAlternative: { href: '/subscribe/chat', text: 'Post updates into a Slack, Microsoft Teams or Discord channel.' },
    }),
  );

  const chatForm = async (url: string) => ({
    title: 'Subscribe a chat channel',
    heading: 'Post status updates into Slack, Microsoft Teams or Discord',
    message:
      "Paste the channel's incoming-webhook URL. We post one message there with a link to confirm; nothing else is posted until someone in the channel confirms.",
    form: { action: '/subscribe/chat', button: 'Subscribe channel' },
    chatForm: true,
    url,
    choices: await choices({ all: true, ids: [] }),
  });
  app.get('/subscribe/chat', { schema: { hide: true, response: HTML } }, async (_request, reply) => render(reply, 200, await chatForm('')));

  app.post(
    '/subscribe/chat',
    {
      config: ipLimit,
      schema: { hide: true, body: ChatSignUpForm, response: HTML },
    },
    async (request, reply) => {
      assertSameOrigin(request);
      const type = request.body.type || undefined;
      const input: RequestChatSubscriptionInput = { ...(type ? { type } : {}), url: request.body.url.trim(), component_ids: chosenComponents(request.body) };
      try {
        await requestChatSubscription(app.serviceContext(visitorActor('public')), input, options.chatUrls);
      } catch (error) {
        // The URL is not a channel's incoming webhook (or not acceptable): say so next to the form.
        if (error instanceof DomainError && error.code === 'invalid_input')
          return render(reply, 400, { ...(await chatForm(request.body.url)), message: error.message });
        throw error;
      }
      return render(reply, 200, {
        title: 'Check the channel',
        heading: 'Check the channel',
        message: 'A message with a link to confirm is on its way to the channel. Nothing else is posted there until someone in the channel confirms.',
      });
    },
  );

  const webhookForm = async (url: string) => ({
    title: 'Subscribe a webhook',
    heading: 'Receive status updates as signed webhooks',
    message:
      'We POST Statuspage-style JSON (with an event_type) to your https endpoint, signed per Standard Webhooks. Its owner confirms by email first; nothing is sent before.',
    form: { action: '/subscribe/webhook', button: 'Register endpoint' },
    webhookForm: true,
    url,
    choices: await choices({ all: true, ids: [] }),
  });
  app.get('/subscribe/webhook', { schema: { hide: true, response: HTML } }, async (_request, reply) => render(reply, 200, await webhookForm('')));

  app.post(
    '/subscribe/webhook',
    {
      config: ipLimit,
      schema: { hide: true, body: WebhookSignUpForm, response: HTML },
    },
    async (request, reply) => {
      assertSameOrigin(request);
      // Checked before the use-case so the per-address limit counts every spelling of one mailbox.
      const email = parseEmailAddress('email', request.body.email);
      if (!perAddress.hit(emailAddressKey(email)))
        return render(reply, 429, {
          title: 'Subscribe a webhook',
          heading: 'Too many requests',
          message: 'Too many requests for this address. Please try again later.',
        });
      const input: RequestWebhookSubscriptionInput = { url: request.body.url.trim(), email, component_ids: chosenComponents(request.body) };
      try {
        await requestWebhookSubscription(app.serviceContext(visitorActor('public')), input, options.checkWebhookUrl, options.generateWebhookSecret);
      } catch (error) {
        // The endpoint itself is not acceptable (not https, private address...): say so next to the form.
        if (error instanceof DomainError && error.code === 'invalid_input')
          return render(reply, 400, { ...(await webhookForm(request.body.url)), message: error.message });
        throw error;
      }
      return render(reply, 200, {
        title: 'Check your inbox',
        heading: 'Check your inbox',
        message: `If ${email} can receive email, a message is on its way with a link to confirm the endpoint. Nothing is sent to it before.`,
      });
    },
  );

  app.post(
    '/subscribe',
    {
      config: ipLimit,
      schema: { hide: true, body: EmailSignUpForm, response: HTML },
    },
    async (request, reply) => {
      assertSameOrigin(request);
      // Checked before the use-case so the per-address limit counts every spelling of one mailbox.
      const email = parseEmailAddress('email', request.body.email);
      if (!perAddress.hit(emailAddressKey(email)))
        return render(reply, 429, { title: 'Subscribe', heading: 'Too many requests', message: 'Too many requests for this address. Please try again later.' });
      const input: SubscribeByEmailInput = { type: 'email', email, component_ids: chosenComponents(request.body) };
      await subscribeByEmail(app.serviceContext(visitorActor('public')), input, { source: 'public' });
      return render(reply, 200, {
        title: 'Check your inbox',
        heading: 'Check your inbox',
        message: `If ${email} can receive updates, a message is on its way with a link to confirm or manage the subscription.`,
      });
    },
  );

  // A link whose subscriber has since unsubscribed (or been removed) is as invalid as an expired one.
  const liveClaims = async (request: { params: { token: string } }, purpose: LinkPurpose) => {
    const claim = claims(request, purpose);
    const subscriber = claim ? await findSubscriber(app.db, claim.subscriberId) : null;
    return subscriber && !subscriber.unsubscribed_at ? claim : null;
  };

  app.get('/subscribe/confirm/:token', { schema: { hide: true, params: Token, response: HTML } }, async (request, reply) => {
    if (!(await liveClaims(request, 'confirm'))) return invalidLink(reply);
    return render(reply, 200, {
      title: 'Confirm subscription',
      heading: 'Confirm your subscription',
      form: { action: `/subscribe/confirm/${request.params.token}`, button: 'Confirm subscription' },
    });
  });

  // Confirmation is a POST behind a button: link scanners that prefetch GETs must not confirm.
  app.post('/subscribe/confirm/:token', { config: ipLimit, schema: { hide: true, params: Token, response: HTML } }, async (request, reply) => {
    assertSameOrigin(request);
    const claim = await liveClaims(request, 'confirm');
    if (!claim) return invalidLink(reply);
    const subscriber = await confirmSubscriber(app.serviceContext(visitorActor('public')), claim.subscriberId).catch((error) => {
      if (error instanceof NotFoundError) return null;
      throw error;
    });
    if (!subscriber) return invalidLink(reply);
    if (isChatPlatform(subscriber.type)) {
      return render(reply, 200, {
        title: 'Channel confirmed',
        heading: 'The channel is subscribed',
        message: `This ${CHAT_PLATFORM_LABELS[subscriber.type]} channel will get a message whenever we post about an incident or maintenance. Every message has a link to change or stop this.`,
      });
    }
    if (subscriber.type === 'webhook') {
      return render(reply, 200, {
        title: 'Endpoint confirmed',
        heading: 'Your endpoint is subscribed',
        message: `${subscriber.url} will receive a signed POST whenever we post about an incident, maintenance or component change.`,
        secret: subscriber.secret ?? undefined,
      });
    }
    return render(reply, 200, {
      title: 'Subscribed',
      heading: 'You are subscribed',
      message: 'You will get an email when we post about an incident or maintenance.',
    });
  });

  app.get('/manage/:token', { schema: { hide: true, params: Token, response: HTML } }, async (request, reply) => {
    const claim = claims(request, 'manage');
    const subscriber = claim ? await findSubscriber(app.db, claim.subscriberId) : null;
    if (!subscriber || subscriber.unsubscribed_at) return invalidLink(reply);
    return render(reply, 200, {
      title: 'Manage subscription',
      heading: 'Manage your subscription',
      // An address, or the endpoint or channel (a chat URL elided): never a webhook's or channel's owner.
      email: subscriber.type === 'email' ? subscriber.email : subscriber.url,
      form: { action: `/manage/${request.params.token}`, button: 'Save' },
      choices: await choices({ all: subscriber.all_components, ids: subscriber.component_ids }),
      actions:
        subscriber.type === 'webhook' && subscriber.confirmed_at
          ? [{ action: `/manage/${request.params.token}/rotate-secret`, button: 'Make a new signing secret' }]
          : [],
      secondary: { action: `/manage/${request.params.token}/unsubscribe`, button: 'Unsubscribe from all updates' },
    });
  });

  app.post('/manage/:token/rotate-secret', { config: ipLimit, schema: { hide: true, params: Token, response: HTML } }, async (request, reply) => {
    assertSameOrigin(request);
    const claim = claims(request, 'manage');
    const subscriber = claim ? await findSubscriber(app.db, claim.subscriberId) : null;
    if (!subscriber || subscriber.unsubscribed_at || subscriber.type !== 'webhook' || !subscriber.confirmed_at) return invalidLink(reply);
    const secret = await rotateWebhookSecret(app.serviceContext(visitorActor('subscriber')), subscriber.id, options.generateWebhookSecret);
    return render(reply, 200, {
      title: 'New signing secret',
      heading: 'A new signing secret',
      message: `Deliveries to ${subscriber.url} are signed with this secret from now on; the old one no longer verifies.`,
      secret,
    });
  });

  app.post(
    '/manage/:token',
    {
      config: ipLimit,
      schema: { hide: true, params: Token, body: Type.Object({ components: Components, scope: Type.Optional(Type.String()) }), response: HTML },
    },
    async (request, reply) => {
      assertSameOrigin(request);
      const claim = claims(request, 'manage');
      if (!claim) return invalidLink(reply);
      const ids = chosenComponents(request.body);
      const input: UpdateSubscriptionInput = { component_ids: ids };
      await updateSubscription(app.serviceContext(visitorActor('subscriber')), claim.subscriberId, input);
      return render(reply, 200, {
        title: 'Saved',
        heading: 'Your choices are saved',
        message: ids.length ? `You will hear about ${ids.length} component(s).` : 'You will hear about every component.',
      });
    },
  );

  app.post('/manage/:token/unsubscribe', { config: ipLimit, schema: { hide: true, params: Token, response: HTML } }, async (request, reply) => {
    assertSameOrigin(request);
    const claim = claims(request, 'manage');
    if (!claim) return invalidLink(reply);
    await unsubscribe(app.serviceContext(visitorActor('subscriber')), claim.subscriberId, 'unsubscribed');
    return render(reply, 200, { title: 'Unsubscribed', heading: 'You are unsubscribed', message: 'You will not receive status updates any more.' });
  });

  // A GET never unsubscribes (mail scanners follow links): it shows a button.
  app.get('/unsubscribe/:token', { schema: { hide: true, params: Token, response: HTML } }, async (request, reply) => {
    if (!claims(request, 'unsubscribe')) return invalidLink(reply);
    return render(reply, 200, {
      title: 'Unsubscribe',
      heading: 'Unsubscribe from status updates?',
      form: { action: `/unsubscribe/${request.params.token}`, button: 'Unsubscribe', danger: true },
    });
  });

  // The List-Unsubscribe mailto (unsubscribe@<MAIL_FROM domain>, subject "unsubscribe <token>"):
  // route that mailbox to this endpoint (Postmark/SendGrid/Mailgun inbound JSON or form fields, or
  // the raw message piped from an MTA). The signed token is the credential, as for one-click.
  app.post(
    '/inbound/unsubscribe',
    {
      config: unsubscribeLimit,
      schema: {
        hide: true,
        response: { 200: Type.Object({ unsubscribed: Type.Boolean() }), 400: Type.Object({ error: Type.String(), message: Type.String() }) },
      },
    },
    async (request, reply) => {
      const token = await unsubscribeTokenIn(request.body);
      const claim = token ? verifyLinkToken(token, 'unsubscribe', app.linkKey(), app.clock.now()) : null;
      if (!claim) return reply.code(400).send({ error: 'invalid_input', message: 'subject: no valid "unsubscribe <token>" found' });
      await unsubscribe(app.serviceContext(visitorActor('subscriber:mailto')), claim.subscriberId, 'unsubscribed').catch((error) => {
        if (!(error instanceof NotFoundError)) throw error;
      });
      return { unsubscribed: true };
    },
  );

  // RFC 8058 one-click: mailbox providers POST "List-Unsubscribe=One-Click" with no cookies; the token is the credential.
  app.post('/unsubscribe/:token', { config: unsubscribeLimit, schema: { hide: true, params: Token, response: HTML } }, async (request, reply) => {
    const claim = claims(request, 'unsubscribe');
    if (!claim) return invalidLink(reply);
    await unsubscribe(app.serviceContext(visitorActor('subscriber')), claim.subscriberId, 'unsubscribed').catch((error) => {
      if (!(error instanceof NotFoundError)) throw error;
    });
    return render(reply, 200, { title: 'Unsubscribed', heading: 'You are unsubscribed', message: 'You will not receive status updates any more.' });
  });
}
