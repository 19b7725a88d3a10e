import { describe, expect, it } from 'vitest';
import { chatMessageBody, discordMessage, slackMessage, teamsMessage, truncate, type ChatContent } from '../../src/presenters/chat-message.ts';
import { markdownToSlack } from '../../src/presenters/slack-mrkdwn.ts';
import { discordProblems, slackMentionProblem, slackProblems, teamsProblems } from '../helpers/chat-receivers.ts';

/**
 * The three chat formats, held to each platform's documented limits and shapes by the same checks
 * the loopback receivers apply, with hostile incident text: mentions, markup, and sizes far past
 * every limit.
 */
const HOSTILE = '<!channel> <!here> <@U024BE7LH> <#C024BE7LR|general> @everyone @here & <script>alert(1)</script>';

const content = (over: Partial<ChatContent> = {}): ChatContent => ({
  pageName: 'Acme <Status> & Co',
  headline: `[Major impact] ${HOSTILE} – Investigating`,
  title: `Messages delayed ${HOSTILE}`,
  url: 'https://status.acme.example/incidents/01ABC',
  buttonText: 'View incident',
  statusLabel: 'Investigating',
  impact: 'major',
  over: false,
  body: `We are **looking** into it. ${HOSTILE}\n\n- first\n- [docs](https://docs.acme.example/a?b=1&c=2)\n- [bad](javascript:alert(1))`,
  facts: [
    { title: 'Status', value: 'Investigating' },
    { title: 'Affected', value: `Messaging (Europe): Major outage\n${HOSTILE}` },
  ],
  timestamp: new Date('2026-03-10T12:00:00Z'),
  manageUrl: 'https://status.acme.example/manage/tok.en_123',
  ...over,
});

const huge = (n: number) => 'x'.repeat(n);

describe('Slack (Block Kit)', () => {
  it('meets the Block Kit limits and escapes every mention, even with text far past them', () => {
    for (const c of [
      content(),
      content({ title: huge(500), body: huge(10_000), facts: Array.from({ length: 15 }, (_, i) => ({ title: `F${i}`, value: huge(3000) })) }),
    ]) {
      const message = slackMessage(c);
      expect(slackProblems(message)).toEqual([]);
      expect(message.blocks[0]).toMatchObject({ type: 'header', text: { type: 'plain_text' } });
      expect([...message.blocks[0].text!.text].length).toBeLessThanOrEqual(150);
    }
  });

  it('keeps a text fallback with the impact and the name, escaped', () => {
    const message = slackMessage(content());
    expect(message.text).toContain('[Major impact] &lt;!channel&gt; &lt;!here&gt; &lt;@U024BE7LH&gt;');
    expect(message.text).toContain('&amp; &lt;script&gt;');
  });

  it('turns Markdown into mrkdwn: bold, lists, links (http only), with the manage link and a button to the incident', () => {
    const message = slackMessage(content());
    const section = JSON.stringify(message.blocks[1]);
    expect(section).toContain('*looking*');
    expect(section).toContain('• <https://docs.acme.example/a?b=1&amp;c=2|docs>');
    // markdown-it makes no link of a javascript: target: it stays text, escaped like any other.
    expect(section).toContain('• [bad](javascript:alert(1))');
    expect(section).not.toMatch(/<javascript:/);
    expect(message.blocks[2]).toMatchObject({ type: 'actions', elements: [{ type: 'button', url: 'https://status.acme.example/incidents/01ABC' }] });
    expect(JSON.stringify(message.blocks[3])).toContain('<https://status.acme.example/manage/tok.en_123|Manage or unsubscribe this channel>');
  });

  it.each([
    ['# Heading\ntext', '*Heading*\ntext'],
    ['**bold** and _it_ and ~~gone~~', '*bold* and _it_ and ~gone~'],
    ['1. one\n2. two', '1. one\n2. two'],
    ['> quoted <!here>', '> quoted &lt;!here&gt;'],
    ['`<!channel>`', '`&lt;!channel&gt;`'],
    ['```\n<@U1> & co\n```', '```&lt;@U1&gt; &amp; co```'],
    ['[a|b](https://x.example/p|q)', '<https://x.example/p%7Cq|a¦b>'],
    ['<https://x.example>', '<https://x.example>'],
    ['https://x.example/auto', '<https://x.example/auto>'],
  ])('%j → %j', (markdown, mrkdwn) => {
    expect(markdownToSlack(markdown)).toBe(mrkdwn);
    expect(slackMentionProblem(markdownToSlack(markdown))).toBeNull();
  });

  it('the receiver check catches an unescaped mention (it can fail)', () => {
    expect(slackMentionProblem('hello <!channel>')).toMatch(/mention/);
    expect(slackProblems({ text: 'x', blocks: [{ type: 'header', text: { type: 'plain_text', text: huge(151) } }] })).toEqual([
      'blocks[0]: 151 characters, over 150',
    ]);
  });
});

describe('Discord (one embed)', () => {
  it('stays within every embed limit (6,000 in all), with text far past them', () => {
    for (const c of [
      content(),
      content({ title: huge(1000), body: huge(10_000), facts: Array.from({ length: 40 }, (_, i) => ({ title: `F${i}`, value: huge(3000) })) }),
    ]) {
      const message = discordMessage(c);
      expect(discordProblems(message)).toEqual([]);
    }
  });

  it('pings nobody, links the incident, colours by impact, and carries the manage link', () => {
    const message = discordMessage(content());
    expect(message.allowed_mentions).toEqual({ parse: [] });
    const [embed] = message.embeds;
    expect(embed.url).toBe('https://status.acme.example/incidents/01ABC');
    expect(embed.timestamp).toBe('2026-03-10T12:00:00.000Z');
    expect(embed.footer.text).toBe('Acme <Status> & Co');
    expect(JSON.stringify(embed.fields)).toContain('[Manage or unsubscribe this channel](https://status.acme.example/manage/tok.en_123)');
    const colour = (impact: ChatContent['impact'], over = false) => discordMessage(content({ impact, over })).embeds[0].color;
    expect(new Set([colour('critical'), colour('major'), colour('minor'), colour('maintenance'), colour(null), colour('major', true)]).size).toBe(6);
  });

  it('the receiver check catches a message that would ping (it can fail)', () => {
    expect(discordProblems({ embeds: [{ title: 'x' }] })).toEqual([expect.stringContaining('allowed_mentions.parse')]);
    expect(discordProblems({ allowed_mentions: { parse: [] }, embeds: [{ description: huge(4097) }] })).toEqual(['embeds[0].description over 4096']);
  });
});

describe('Microsoft Teams (Workflows: an Adaptive Card)', () => {
  it('is one Adaptive Card 1.4 whose first TextBlock is the headline, accepted by the adaptivecards library', () => {
    const message = teamsMessage(content());
    expect(teamsProblems(message)).toEqual([]);
    const card = message.attachments[0].content;
    expect(card.version).toBe('1.4');
    expect(card.body[0]).toMatchObject({ type: 'TextBlock', text: content().headline, weight: 'Bolder' });
    expect(card.body.find((b) => b.type === 'FactSet')).toBeTruthy();
    expect(card.actions).toEqual([
      { type: 'Action.OpenUrl', title: 'View incident', url: 'https://status.acme.example/incidents/01ABC' },
      { type: 'Action.OpenUrl', title: 'Manage or unsubscribe', url: 'https://status.acme.example/manage/tok.en_123' },
    ]);
    expect(teamsProblems(teamsMessage(content({ body: huge(100_000) })))).toEqual([]);
  });

  it('the receiver check refuses a card Teams would not take (it can fail)', () => {
    const message = teamsMessage(content());
    const card = message.attachments[0].content as Record<string, unknown>;
    expect(teamsProblems({ ...message, attachments: [{ ...message.attachments[0], content: { ...card, version: '1.5' } }] })).toContain(
      'card version 1.5 is above 1.4 (Teams over Workflows)',
    );
    expect(
      teamsProblems({ ...message, attachments: [{ ...message.attachments[0], content: { ...card, body: [{ type: 'NoSuchElement', text: 'x' }] } }] }).length,
    ).toBeGreaterThan(0);
  });
});

it('chatMessageBody draws the platform it is asked for', () => {
  expect(JSON.parse(chatMessageBody('slack', content())).blocks).toBeDefined();
  expect(JSON.parse(chatMessageBody('discord', content())).embeds).toHaveLength(1);
  expect(JSON.parse(chatMessageBody('teams', content())).type).toBe('message');
  expect(truncate('héllo wörld', 5)).toBe('héll…');
});
