import { describe, expect, it } from 'vitest';
import { SNIPPET_CLOSE as C, SNIPPET_OPEN as O } from '../../src/shared/api-contract.js';
import { basename, formatBytes, formatDuration, snippetRuns } from '../../src/renderer/format.js';

describe('renderer display helpers', () => {
  it('splits search snippets into plain and highlighted runs, never as HTML', () => {
    expect(snippetRuns(`a ${O}dog${C} runs on the ${O}beach${C}`)).toEqual([
      { text: 'a ', match: false },
      { text: 'dog', match: true },
      { text: ' runs on the ', match: false },
      { text: 'beach', match: true },
    ]);
    expect(snippetRuns('<img src=x onerror=alert(1)>')).toEqual([{ text: '<img src=x onerror=alert(1)>', match: false }]);
    expect(snippetRuns('')).toEqual([]);
  });

  it('formats sizes, durations and names', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(15_700)).toBe('15.3 KB');
    expect(formatBytes(5 * 1024 ** 2)).toBe('5.0 MB');
    expect(formatDuration(null)).toBe('—');
    expect(formatDuration(42)).toBe('42 s');
    expect(formatDuration(125)).toBe('2 min 5 s');
    expect(formatDuration(7260)).toBe('2 h 1 min');
    expect(basename('/home/me/My Photos/')).toBe('My Photos');
    expect(basename('C:\\Users\\me\\Pictures')).toBe('Pictures');
  });
});
