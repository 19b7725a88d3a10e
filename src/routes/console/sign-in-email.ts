import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { SIGN_IN_LINK_TTL_MS } from '../../services/access/session-rules.ts';
import { loadPage } from '../../queries/page-chrome.ts';
import type { ConsoleRenderer } from './render.ts';

/** The full URL of a one-time sign-in link. */
export const signInUrl = (app: FastifyInstance, token: string) => `${app.config.publicUrl}/console/sign-in/${token}`;

/**
 * Emails a one-time sign-in link through the process's email channel (every role has one: the
 * web role needs it for these links). Never throws: a failure is logged, and the caller has
 * already answered (awaiting the relay would make answers slower for real accounts).
 */
export async function emailSignInLink(app: FastifyInstance, renderer: ConsoleRenderer, log: FastifyBaseLogger, to: string, token: string): Promise<boolean> {
  const channel = app.notifications?.email;
  if (!channel) {
    log.warn({ to }, 'the sign-in link could not be emailed: this process has no email channel');
    return false;
  }
  if (!app.config.env.SMTP_URL) log.warn({ to }, 'no SMTP_URL set: the sign-in link was written to the mail directory, not emailed');
  try {
    const page = await loadPage(app.db);
    const publicUrl = app.config.publicUrl;
    const content = renderer.signInEmail({
      pageName: page?.name ?? 'Status',
      publicUrl,
      url: signInUrl(app, token),
      email: to,
      minutes: SIGN_IN_LINK_TTL_MS / 60_000,
    });
    const host = new URL(publicUrl).hostname;
    const outcome = await channel.send({ to, ...content, messageId: `<sign-in-${app.ids.id()}@${host}>`, headers: { 'Auto-Submitted': 'auto-generated' } });
    if (!outcome.ok) log.warn({ to, error: outcome.error }, 'the sign-in link could not be emailed');
    return outcome.ok;
  } catch (error) {
    log.error({ err: error, to }, 'the sign-in link could not be emailed');
    return false;
  }
}
