import { describe, expect, it } from 'vitest';
import { terminalSafe } from '../../src/cli/main.ts';

/** Names stored before control characters were refused must not drive the operator's terminal. */
describe('the CLI prints stored text without terminal control sequences', () => {
  it('escapes ESC, other C0/C1 controls and DEL, keeps tabs and line breaks', () => {
    const retitle = 'evil\u001b]0;owned\u0007 name';
    expect(terminalSafe(retitle)).toBe('evil\\u001b]0;owned\\u0007 name');
    expect([...terminalSafe('erase\u001b[2K\u001b[1Aline\u009b31m\u007f')].filter((c) => ['\u001b', '\u009b', '\u007f'].includes(c))).toEqual([]);
    expect(terminalSafe('a\tb\nc')).toBe('a\tb\nc');
    expect(terminalSafe('Messagerie — Europe ✓')).toBe('Messagerie — Europe ✓');
  });
});
