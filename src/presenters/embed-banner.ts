/**
 * The banner script as served (/embed/banner.js). Its source, src/client/banner.js, is a linted
 * and type-checked file with comments and JSDoc types; the host pages that load it get it without
 * them, which keeps it under 3 KB gzipped without a minifier. Only comments and indentation go:
 * the file holds no string or regular expression containing a comment opener, and
 * test/routes/embed.test.ts compiles the result and measures it.
 */
export function servedBannerScript(source: string): string {
  const lines = source
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('//'));
  return `${lines.join('\n')}\n`;
}
