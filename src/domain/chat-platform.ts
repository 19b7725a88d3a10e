/**
 * Chat channels (Slack, Discord, Microsoft Teams): which incoming-webhook URLs belong to which
 * platform, and how such a URL is shown without its secret. Pure rules, no I/O.
 */
import { ValidationError } from './errors.ts';

export const CHAT_PLATFORMS = ['slack', 'discord', 'teams'] as const;
export type ChatPlatform = (typeof CHAT_PLATFORMS)[number];

export const isChatPlatform = (type: string): type is ChatPlatform => (CHAT_PLATFORMS as readonly string[]).includes(type);

export const CHAT_PLATFORM_LABELS: Record<ChatPlatform, string> = { slack: 'Slack', discord: 'Discord', teams: 'Microsoft Teams' };

const endsWithDomain = (host: string, domain: string) => host === domain || host.endsWith(`.${domain}`);

/**
 * The platform an incoming-webhook URL belongs to, by its host (and path), or null. Slack:
 * hooks.slack.com/services/…; Discord: discord.com or discordapp.com /api/webhooks/…; Teams:
 * Workflows (Power Automate) hosts and the legacy Office 365 connectors.
 */
function chatPlatformOfUrl(url: URL): ChatPlatform | null {
  if (url.protocol !== 'https:') return null;
  const host = url.hostname.toLowerCase().replace(/\.$/, '');
  const path = url.pathname;
  if (host === 'hooks.slack.com' && path.startsWith('/services/')) return 'slack';
  if (['discord.com', 'discordapp.com', 'ptb.discord.com', 'canary.discord.com'].includes(host) && /^\/api\/(v\d+\/)?webhooks\/\d+\/[^/]+/.test(path)) {
    return 'discord';
  }
  const teamsDomains = ['logic.azure.com', 'powerautomate.com', 'environment.api.powerplatform.com', 'webhook.office.com'];
  if (teamsDomains.some((domain) => host !== domain && endsWithDomain(host, domain))) return 'teams';
  if (host === 'api.powerautomate.com') return 'teams';
  return null;
}

const isLoopbackHost = (host: string) => host === 'localhost' || host === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);

/**
 * The platform of a chat subscriber's URL: the one given, if the URL belongs to it, or the one its
 * host says. Anything else is refused naming `url`. With `allowLoopback` (tests and development,
 * LIFELINE_ALLOW_PRIVATE_WEBHOOKS) a loopback http(s) URL stands in for any platform given.
 */
export function resolveChatPlatform(url: string, given: ChatPlatform | undefined, options: { allowLoopback: boolean }): ChatPlatform {
  if (!URL.canParse(url)) throw new ValidationError('url', 'must be an incoming-webhook URL (https://…)');
  const parsed = new URL(url);
  if (given && options.allowLoopback && (parsed.protocol === 'http:' || parsed.protocol === 'https:') && isLoopbackHost(parsed.hostname)) return given;
  const platform = chatPlatformOfUrl(parsed);
  if (platform === null) {
    throw new ValidationError(
      'url',
      'must be a Slack (https://hooks.slack.com/services/…), Discord (https://discord.com/api/webhooks/…) or Microsoft Teams Workflows incoming-webhook URL',
    );
  }
  if (given && given !== platform) throw new ValidationError('url', `is a ${CHAT_PLATFORM_LABELS[platform]} URL, not a ${CHAT_PLATFORM_LABELS[given]} one`);
  return platform;
}

/** Query parameters of a Workflows URL that carry no secret and help tell two flows apart. */
const PUBLIC_QUERY = new Set(['api-version', 'sp', 'sv']);

/**
 * The URL without what lets anyone post with it: the last path segment (Slack's and Discord's
 * token, the connector's id) and every query value but the public ones (Workflows' `sig`). Shown
 * in lists, audit entries and emails instead of the URL itself.
 */
export function elideChatUrl(url: string): string {
  if (!URL.canParse(url)) return '…';
  const parsed = new URL(url);
  const segments = parsed.pathname.split('/');
  if (segments.length > 2 && segments[segments.length - 1] !== '') segments[segments.length - 1] = '…';
  const query = [...parsed.searchParams.entries()].map(([name, value]) => `${name}=${PUBLIC_QUERY.has(name) ? value : '…'}`);
  return `${parsed.origin}${segments.join('/')}${query.length > 0 ? `?${query.join('&')}` : ''}`;
}
