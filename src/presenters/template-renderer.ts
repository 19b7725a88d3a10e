/**
 * What presenters need from the view set loaded at start (plugins/views.ts): templates by name,
 * rendered without a layout, and the templates' own HTML escaping. Passed in, so presenters read no
 * files and hold no template engine of their own.
 */
export interface TemplateRenderer {
  /** A template by its path under views/ without `.hbs` (`emails/notice.html`), without a layout. */
  render(name: string, model: object): string;
  /** An email's two bodies, `emails/<name>.html` and `emails/<name>.text`, from the same model. */
  email(name: string, model: object): { html: string; text: string };
  /** Escapes text for HTML exactly as `{{value}}` in a template does. */
  escape(text: string): string;
}
