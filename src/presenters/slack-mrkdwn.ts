/**
 * Markdown (a responder's update) as Slack's mrkdwn. Every piece of text is escaped (`&`, `<`, `>`),
 * so no incident text can make `<!channel>`, `<!here>`, `<@U…>` or a link of its own: the only
 * angle brackets in the result are the links written here, to http(s) and mailto targets.
 */
import { parseMarkdown } from './markdown.ts';

type Tokens = ReturnType<typeof parseMarkdown>;

/** Slack's three control characters, as its docs ask: what remains can only be shown, never parsed. */
export function escapeSlack(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A link `<url|text>`; a target that is not http(s) or mailto stays plain text. */
function slackLink(href: string, text: string): string {
  if (!/^(https?:\/\/|mailto:)/i.test(href)) return text;
  // `|` ends the URL part of a Slack link: encoded, it stays part of the address.
  const url = escapeSlack(href).replace(/\|/g, '%7C');
  return text.trim() === '' || text === escapeSlack(href) ? `<${url}>` : `<${url}|${text.replace(/\|/g, '¦')}>`;
}

function inline(tokens: Tokens): string {
  let out = '';
  const links: { href: string; start: number }[] = [];
  for (const token of tokens) {
    switch (token.type) {
      case 'text':
        out += escapeSlack(token.content);
        break;
      case 'code_inline':
        out += `\`${escapeSlack(token.content)}\``;
        break;
      case 'softbreak':
      case 'hardbreak':
        out += '\n';
        break;
      case 'strong_open':
      case 'strong_close':
        out += '*';
        break;
      case 'em_open':
      case 'em_close':
        out += '_';
        break;
      case 's_open':
      case 's_close':
        out += '~';
        break;
      case 'link_open':
        links.push({ href: String(token.attrGet('href') ?? ''), start: out.length });
        break;
      case 'link_close': {
        const link = links.pop();
        if (link) out = out.slice(0, link.start) + slackLink(link.href, out.slice(link.start));
        break;
      }
      case 'image': {
        const alt = escapeSlack(token.content || 'image');
        out += slackLink(String(token.attrGet('src') ?? ''), alt);
        break;
      }
      default:
        if (token.content) out += escapeSlack(token.content);
    }
  }
  return out;
}

/** The whole body as mrkdwn: paragraphs, headings (bold), lists (•, 1.), quotes (>), code blocks (```). */
export function markdownToSlack(markdownText: string): string {
  const tokens = parseMarkdown(markdownText);
  const blocks: string[] = [];
  const lists: { ordered: boolean; next: number }[] = [];
  let quote = 0;
  let prefix = '';
  for (const [index, token] of tokens.entries()) {
    switch (token.type) {
      case 'bullet_list_open':
        lists.push({ ordered: false, next: 1 });
        break;
      case 'ordered_list_open':
        lists.push({ ordered: true, next: Number(token.attrGet('start') ?? 1) });
        break;
      case 'bullet_list_close':
      case 'ordered_list_close':
        lists.pop();
        break;
      case 'list_item_open': {
        const list = lists[lists.length - 1];
        const indent = '    '.repeat(Math.max(0, lists.length - 1));
        prefix = `${indent}${list?.ordered ? `${list.next++}.` : '•'} `;
        break;
      }
      case 'blockquote_open':
        quote++;
        break;
      case 'blockquote_close':
        quote--;
        break;
      case 'inline': {
        const text = inline(token.children ?? []);
        const heading = tokens[index - 1]?.type === 'heading_open';
        const line = `${prefix}${heading ? `*${text}*` : text}`;
        prefix = '';
        // A quote's `>` is Slack's own markup (only `<` could start a mention or a link).
        blocks.push(quote > 0 ? line.replace(/^/gm, '> ') : line);
        break;
      }
      case 'fence':
      case 'code_block':
        blocks.push(`\`\`\`${escapeSlack(token.content.replace(/\n$/, ''))}\`\`\``);
        break;
      case 'hr':
        blocks.push('───');
        break;
      default:
        break;
    }
  }
  return blocks.join('\n').replace(/\n{3,}/g, '\n\n');
}
