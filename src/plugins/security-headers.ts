import { createHash } from 'node:crypto';

const INLINE_SCRIPT = /<script>([\s\S]*?)<\/script>/g;

const sourceHash = (script: string) => `'sha256-${createHash('sha256').update(script).digest('base64')}'`;

/** `{{> client/console.js}}`: a file of src/client/ that the views inline as it is (plugins/views.ts). */
const CLIENT_FILE = /\{\{> (client\/[\w.-]+)\}\}/g;

/**
 * CSP hashes of the inline scripts one template contains, hashed as the page carries them (with
 * the src/client/ files they inline, from clientFiles). A script in a template must be fixed
 * text: one built from template values would have a hash that no policy allows (and would be an
 * injection point), so it stops the start instead.
 */
export function inlineScriptHashes(file: string, source: string, clientFiles: ReadonlyMap<string, string> = new Map()): string[] {
  return [...source.matchAll(INLINE_SCRIPT)].map(([, script]) => {
    if (script.replace(CLIENT_FILE, '').includes('{{')) throw new Error(`${file}: an inline <script> must be fixed text (no {{...}}) so its CSP hash is known`);
    return sourceHash(
      script.replace(CLIENT_FILE, (_reference, name: string) => {
        const text = clientFiles.get(name);
        if (text === undefined) throw new Error(`${file}: ${name} is not a file of src/client/`);
        return text;
      }),
    );
  });
}

export interface PageSecurityOptions {
  /** Console and form pages are never framed (clickjacking); the public status page may be embedded. */
  framing?: 'deny' | 'allow';
  referrer?: 'strict-origin-when-cross-origin' | 'same-origin' | 'no-referrer';
}

/**
 * The security headers of every HTML page we send: public pages, the 404 page, subscription forms
 * and the console. The Content-Security-Policy lets run only the templates' own inline scripts that
 * this page carries, by hash: the allowed set (`templateScripts`, the app's `views.scriptHashes`)
 * comes from the templates, never from the rendered text, so a script smuggled in by user content
 * is not allowed by the page it is in. It is passed in, not kept here, so that two apps in one
 * process (tests, the CLI's in-process app) each answer with their own views' scripts.
 */
export function pageSecurityHeaders(html: string, templateScripts: ReadonlySet<string>, options: PageSecurityOptions = {}): Record<string, string> {
  const scripts = [...new Set([...html.matchAll(INLINE_SCRIPT)].map((match) => sourceHash(match[1])))].filter((hash) => templateScripts.has(hash));
  const deny = options.framing === 'deny';
  const policy = [
    "default-src 'none'",
    "img-src 'self' data:",
    "style-src 'unsafe-inline'",
    `script-src ${scripts.length > 0 ? scripts.join(' ') : "'none'"}`,
    "connect-src 'self'",
    "form-action 'self'",
    "base-uri 'none'",
    ...(deny ? ["frame-ancestors 'none'"] : []),
  ];
  return {
    'content-security-policy': policy.join('; '),
    'x-content-type-options': 'nosniff',
    'referrer-policy': options.referrer ?? 'strict-origin-when-cross-origin',
    ...(deny ? { 'x-frame-options': 'DENY' } : {}),
  };
}
