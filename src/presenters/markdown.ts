import MarkdownIt from 'markdown-it';

// Raw HTML off: responders' text can never inject markup into the page or emails.
const markdown = new MarkdownIt({ html: false, linkify: true, breaks: true });
const defaultLinkOpen = markdown.renderer.rules.link_open ?? ((tokens, idx, options, _env, self) => self.renderToken(tokens, idx, options));
markdown.renderer.rules.link_open = (tokens, idx, options, env, self) => {
  tokens[idx].attrSet('rel', 'nofollow noopener');
  return defaultLinkOpen(tokens, idx, options, env, self);
};

// Images become links to them: an email client or feed reader would otherwise fetch any URL a
// body names (a tracking pixel tells its owner who opened the notice, when and from where).
markdown.renderer.rules.image = (tokens, idx, options, env, self) => {
  const image = tokens[idx];
  const alt = markdown.utils.escapeHtml(self.renderInlineAsText(image.children ?? [], options, env) || 'image');
  const src = String(image.attrGet('src') ?? '');
  return /^https?:\/\//i.test(src) ? `<a href="${markdown.utils.escapeHtml(src)}" rel="nofollow noopener">${alt}</a>` : alt;
};

export function renderMarkdown(text: string): string {
  return markdown.render(text);
}

/** The Markdown's tokens, parsed as for the page (raw HTML off), for formats that render them their own way (Slack's mrkdwn). */
export function parseMarkdown(text: string): ReturnType<typeof markdown.parse> {
  return markdown.parse(text, {});
}
