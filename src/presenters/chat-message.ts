/**
 * Chat messages in each platform's own format: Slack Block Kit, a Discord embed, a Microsoft Teams
 * (Workflows) Adaptive Card. One neutral model (`ChatContent`) per notice or confirmation, drawn in
 * three ways, each within its platform's documented limits. Pure: the worker sends them.
 *
 * Mentions: Slack text is mrkdwn-escaped (no `<!channel>`, `<!here>`, `<@U…>` can come from incident
 * text); Discord messages carry `allowed_mentions: {parse: []}` (an `@everyone` pings nobody); Teams
 * mentions need an `msteams.entities` list, which is never sent.
 */
import { CHAT_PLATFORM_LABELS, type ChatPlatform } from '../domain/chat-platform.ts';
import { PUBLIC_IMPACT_LABELS } from '../domain/labels.ts';
import type { Impact } from '../domain/status.ts';
import type { NoticeData } from '../queries/load-notice-data.ts';
import type { Notice, RecipientLinks } from './notice.ts';
import { escapeSlack, markdownToSlack } from './slack-mrkdwn.ts';

/** What one chat message says, whatever the platform. */
export interface ChatContent {
  pageName: string;
  /** The line a notification preview shows: impact or kind, name, status. */
  headline: string;
  /** The incident's or maintenance's name (or the component change). */
  title: string;
  /** Where the button goes (the incident page, or the confirmation page). */
  url: string;
  buttonText: string;
  statusLabel: string;
  /** Colours the message; null for a neutral one (a component change, a confirmation). */
  impact: Impact | null;
  /** Resolved or completed: shown green whatever the impact was. */
  over: boolean;
  /** The update, in Markdown. */
  body: string;
  facts: { title: string; value: string }[];
  timestamp: Date;
  /** The channel's own manage/unsubscribe link. */
  manageUrl: string;
}

const SLACK_LIMITS = { header: 150, sectionText: 3000, fieldText: 2000, fields: 10, buttonText: 75, fallbackText: 3000 } as const;
/**
 * Discord's embed limits (title 256, description 4,096, 25 fields of 256/1,024, footer 2,048, 6,000
 * in all), and how this message shares them: a fact's name at most 64, the footer (the page's
 * name) at most 256, and at least 2,000 kept for the update itself.
 */
const DISCORD_LIMITS = {
  title: 256,
  description: 4096,
  fields: 25,
  fieldValue: 1024,
  total: 6000,
  factName: 64,
  footerShown: 256,
  descriptionShare: 2000,
} as const;
/** Teams (Workflows) refuses a message over about 28 KB; the update's text is kept well inside. */
const TEAMS_BODY_MAX = 6000;

/** At most `max` characters (code points), ending in `…` when cut. */
export function truncate(text: string, max: number): string {
  const chars = [...text];
  if (chars.length <= max) return text;
  return max <= 0 ? '' : `${chars.slice(0, max - 1).join('')}…`;
}

const length = (text: string) => [...text].length;

/** A notice (incident, maintenance, component change, reminder) as a chat message, with the channel's own links. */
export function chatNoticeContent(
  notice: Notice,
  data: Pick<NoticeData, 'page' | 'incident' | 'updateId' | 'eventType'>,
  links: RecipientLinks,
  at: Date,
): ChatContent {
  const incident = data.incident;
  const update = incident ? (incident.updates.find((u) => u.id === data.updateId) ?? incident.updates[0]) : undefined;
  const affected = notice.affected.map((a) => `${a.name}: ${a.status}`).join('\n');
  const facts: { title: string; value: string }[] = [{ title: 'Status', value: notice.statusLabel }];
  if (incident && incident.kind === 'incident') facts.push({ title: 'Impact', value: PUBLIC_IMPACT_LABELS[incident.impact] });
  if (affected) facts.push({ title: 'Affected', value: affected });
  if ('scheduled' in notice && notice.scheduled) facts.push({ title: 'Scheduled', value: notice.scheduled });
  facts.push({ title: 'Posted', value: notice.at });
  const headline = !incident
    ? notice.title
    : incident.kind === 'incident'
      ? `[${PUBLIC_IMPACT_LABELS[incident.impact]} impact] ${notice.title} – ${notice.statusLabel}`
      : `${notice.statusLabel}: ${notice.title}`;
  return {
    pageName: data.page.name,
    headline,
    title: notice.title,
    url: notice.url,
    buttonText: incident ? (incident.kind === 'maintenance' ? 'View maintenance' : 'View incident') : 'View status',
    statusLabel: notice.statusLabel,
    impact: incident ? incident.impact : null,
    over: update ? ['resolved', 'postmortem', 'completed'].includes(update.status) : false,
    body: notice.bodyText,
    facts,
    timestamp: at,
    manageUrl: links.manageUrl,
  };
}

/** The one message a channel gets before it is confirmed (or, once confirmed, when it signs up again). */
export function chatConfirmationContent(data: {
  pageName: string;
  platform: ChatPlatform;
  confirmUrl: string;
  manageUrl: string;
  alreadyConfirmed: boolean;
  at: Date;
}): ChatContent {
  const where = `this ${CHAT_PLATFORM_LABELS[data.platform]} channel`;
  return {
    pageName: data.pageName,
    headline: data.alreadyConfirmed ? `${data.pageName} status updates: manage ${where}'s subscription` : `Confirm ${data.pageName} status updates in ${where}`,
    title: data.alreadyConfirmed ? `${data.pageName} status updates` : `Confirm ${data.pageName} status updates`,
    url: data.alreadyConfirmed ? data.manageUrl : data.confirmUrl,
    buttonText: data.alreadyConfirmed ? 'Manage subscription' : 'Confirm subscription',
    statusLabel: data.alreadyConfirmed ? 'Subscribed' : 'Waiting for confirmation',
    impact: null,
    over: false,
    body: data.alreadyConfirmed
      ? `Someone asked again for ${data.pageName} status updates in ${where}, which already gets them. Nothing changes unless you use the link.`
      : `Someone asked for ${data.pageName} status updates (incidents and maintenance) to be posted in ${where}. Nothing else is posted here until someone confirms. The link works for 48 hours; if this was not wanted, ignore this message.`,
    facts: [],
    timestamp: data.at,
    manageUrl: data.manageUrl,
  };
}

// --- Slack (Block Kit) ---------------------------------------------------------------------------

interface SlackText {
  type: 'plain_text' | 'mrkdwn';
  text: string;
  emoji?: boolean;
}
interface SlackButton {
  type: 'button';
  text: SlackText;
  url: string;
}
interface SlackBlock {
  type: 'header' | 'section' | 'actions' | 'context';
  text?: SlackText;
  fields?: SlackText[];
  elements?: (SlackText | SlackButton)[];
}
interface SlackMessage {
  text: string;
  blocks: SlackBlock[];
  unfurl_links: boolean;
  unfurl_media: boolean;
}

/** Block Kit: `text` as the notification's fallback, a header, a section (status, update, facts), a button, the manage link. */
export function slackMessage(content: ChatContent): SlackMessage {
  const fields = content.facts.slice(0, SLACK_LIMITS.fields).map(
    (fact): SlackText => ({
      type: 'mrkdwn',
      text: truncate(`*${escapeSlack(fact.title)}*\n${escapeSlack(fact.value)}`, SLACK_LIMITS.fieldText),
    }),
  );
  const section = truncate(`*${escapeSlack(content.statusLabel)}*\n${markdownToSlack(content.body)}`, SLACK_LIMITS.sectionText);
  return {
    text: truncate(escapeSlack(content.headline), SLACK_LIMITS.fallbackText),
    blocks: [
      // plain_text is never parsed (no mention, no link can come of it).
      { type: 'header', text: { type: 'plain_text', text: truncate(content.title, SLACK_LIMITS.header), emoji: false } },
      { type: 'section', text: { type: 'mrkdwn', text: section }, ...(fields.length > 0 ? { fields } : {}) },
      {
        type: 'actions',
        elements: [{ type: 'button', text: { type: 'plain_text', text: truncate(content.buttonText, SLACK_LIMITS.buttonText) }, url: content.url }],
      },
      {
        type: 'context',
        elements: [{ type: 'mrkdwn', text: `${escapeSlack(content.pageName)} · <${escapeSlack(content.manageUrl)}|Manage or unsubscribe this channel>` }],
      },
    ],
    unfurl_links: false,
    unfurl_media: false,
  };
}

// --- Discord (one embed) -------------------------------------------------------------------------

const DISCORD_COLOURS: Record<Impact | 'over' | 'neutral', number> = {
  critical: 0xe74c3c,
  major: 0xe67e22,
  minor: 0xf1c40f,
  none: 0x95a5a6,
  maintenance: 0x3498db,
  over: 0x2ecc71,
  neutral: 0x5865f2,
};

/** One embed (title linking the incident, description, coloured by impact, fields, footer, timestamp); nobody is pinged. */
export function discordMessage(content: ChatContent) {
  const title = truncate(content.title, DISCORD_LIMITS.title);
  const footer = truncate(content.pageName, DISCORD_LIMITS.footerShown);
  const subscription = {
    name: 'Subscription',
    value: truncate(`[Manage or unsubscribe this channel](${content.manageUrl})`, DISCORD_LIMITS.fieldValue),
    inline: false,
  };
  // The facts share what the 6,000 characters leave after the title, footer, manage link and the
  // description's own share; the description then takes whatever is left (up to its 4,096).
  const facts = content.facts.slice(0, DISCORD_LIMITS.fields - 1);
  const factRoom =
    DISCORD_LIMITS.total - length(title) - length(footer) - length(subscription.name) - length(subscription.value) - DISCORD_LIMITS.descriptionShare;
  const perFact = Math.max(16, Math.min(DISCORD_LIMITS.fieldValue, Math.floor(factRoom / Math.max(1, facts.length)) - DISCORD_LIMITS.factName));
  const fields = [
    ...facts.map((fact) => ({
      name: truncate(fact.title, DISCORD_LIMITS.factName),
      value: truncate(fact.value, perFact),
      inline: fact.title !== 'Affected',
    })),
    subscription,
  ];
  const lead = `**${content.statusLabel}**\n`;
  const used = length(title) + length(footer) + fields.reduce((n, f) => n + length(f.name) + length(f.value), 0);
  const room = Math.max(0, Math.min(DISCORD_LIMITS.description, DISCORD_LIMITS.total - used));
  const description = truncate(`${lead}${content.body}`, room);
  const colour = content.over ? DISCORD_COLOURS.over : DISCORD_COLOURS[content.impact ?? 'neutral'];
  return {
    allowed_mentions: { parse: [] as string[] },
    embeds: [
      {
        title,
        url: content.url,
        ...(description ? { description } : {}),
        color: colour,
        fields,
        footer: { text: footer },
        timestamp: content.timestamp.toISOString(),
      },
    ],
  };
}

// --- Microsoft Teams (Workflows: an Adaptive Card) -----------------------------------------------

/** A `message` with one Adaptive Card (1.4): the headline first (the notification shows only it), the update, facts, links. */
export function teamsMessage(content: ChatContent) {
  return {
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        contentUrl: null,
        content: {
          $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
          type: 'AdaptiveCard',
          version: '1.4',
          body: [
            { type: 'TextBlock', text: content.headline, weight: 'Bolder', size: 'Medium', wrap: true },
            { type: 'TextBlock', text: truncate(`**${content.statusLabel}**\n\n${content.body}`, TEAMS_BODY_MAX), wrap: true },
            ...(content.facts.length > 0 ? [{ type: 'FactSet', facts: content.facts }] : []),
            { type: 'TextBlock', text: content.pageName, isSubtle: true, size: 'Small', wrap: true },
          ],
          actions: [
            { type: 'Action.OpenUrl', title: content.buttonText, url: content.url },
            ...(content.url === content.manageUrl ? [] : [{ type: 'Action.OpenUrl', title: 'Manage or unsubscribe', url: content.manageUrl }]),
          ],
        },
      },
    ],
  };
}

/** The request body for the platform. */
export function chatMessageBody(platform: ChatPlatform, content: ChatContent): string {
  const message = platform === 'slack' ? slackMessage(content) : platform === 'discord' ? discordMessage(content) : teamsMessage(content);
  return JSON.stringify(message);
}
