import { type ChatPlatform, elideChatUrl, resolveChatPlatform } from '../../domain/chat-platform.ts';
import { hashToken } from '../../domain/secret-hash.ts';
import { acceptableWebhookUrl, type CheckWebhookUrl } from './webhook-endpoint.ts';

/** What the app passes in to judge a chat URL: the SSRF guard, and whether loopback stands in for a platform (tests). */
export interface ChatUrlChecks {
  checkUrl: CheckWebhookUrl;
  allowLoopback: boolean;
}

/** A chat channel's incoming-webhook URL, judged: its platform, the URL to post to, and how it is stored. */
export interface AcceptedChatUrl {
  platform: ChatPlatform;
  /** The URL in its one spelling: sealed in `secret`, never shown. */
  url: string;
  /** The URL with its secret parts elided, for lists, audit entries and emails. */
  shown: string;
  /** Finds the channel if it is already subscribed. */
  hash: string;
}

/**
 * The platform (given, or told by the host) and the URL in its one spelling, once the platform's URL
 * rule and the SSRF guard accept it; a refusal names `url`.
 */
export async function acceptableChatUrl(raw: string, given: ChatPlatform | undefined, checks: ChatUrlChecks): Promise<AcceptedChatUrl> {
  const platform = resolveChatPlatform(raw.trim(), given, { allowLoopback: checks.allowLoopback });
  const url = await acceptableWebhookUrl(raw, checks.checkUrl);
  return { platform, url, shown: elideChatUrl(url), hash: hashToken(url) };
}
