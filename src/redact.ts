/**
 * Keeping secrets out of what Lifeline prints: URLs in messages and fields in logs.
 */

const MASK = '***';

/**
 * `url` with its password hidden, for any message or log line that shows a configured URL
 * (DATABASE_URL, SMTP_URL, ...). Works on strings that are not valid URLs too (a port that is not
 * a number, an unescaped `#` or `@` in the password): then everything before the last `@` is
 * treated as credentials, since the parser cannot tell where they end.
 */
export function redactUrl(url: string): string {
  let parsed: URL | null = null;
  try {
    parsed = new URL(url);
  } catch {
    // not a URL: fall through to the textual redaction
  }
  if (parsed?.password) return `${parsed.protocol}//${parsed.username}:${MASK}@${parsed.host}${parsed.pathname}${parsed.search}${parsed.hash}`;
  if (parsed?.username || !url.includes('@')) return url;
  // An `@` the parser did not read as the end of credentials (e.g. `postgres://user:12#x@host`):
  // hide everything up to the last one; a user name before the first `:` stays readable.
  return url.replace(/^((?:[a-z][a-z0-9+.-]*:)?\/\/)?([^]*)@/i, (_match, scheme: string | undefined, credentials: string) => {
    const colon = credentials.indexOf(':');
    return `${scheme ?? ''}${colon > 0 ? `${credentials.slice(0, colon)}:` : ''}${MASK}@`;
  });
}

/**
 * Log fields pino replaces with "[Redacted]" wherever they appear near the top of a log object:
 * credentials in request headers, and any field named like a secret.
 */
export const LOG_REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-lifeline-operator"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  'headers["set-cookie"]',
  ...['token', 'secret', 'password', 'authorization', 'cookie', 'params'].flatMap((field) => [field, `*.${field}`]),
];
