/**
 * Which browser the browser tests drive (`findChromium` in ./browser.ts), with the environment,
 * the filesystem and the platform passed in: LENSCRIBE_CHROMIUM, then Debian's /usr/bin/chromium,
 * then where Chrome, Chromium and Edge install themselves on macOS, Windows and Linux.
 */
import { describe, expect, it } from 'vitest';
import { chromiumCandidates, findChromium } from './browser.js';

const MAC_CHROME = '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome';
const MAC_CHROMIUM = '/Applications/Chromium.app/Contents/MacOS/Chromium';
const MAC_EDGE = '/Applications/Microsoft Edge.app/Contents/MacOS/Microsoft Edge';
const WIN_ENV = {
  ProgramFiles: 'C:\\Program Files',
  'ProgramFiles(x86)': 'C:\\Program Files (x86)',
  LOCALAPPDATA: 'C:\\Users\\runneradmin\\AppData\\Local',
};
const WIN_CHROME = 'C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe';
const WIN_CHROME_X86 = 'C:\\Program Files (x86)\\Google\\Chrome\\Application\\chrome.exe';
const WIN_CHROME_USER = 'C:\\Users\\runneradmin\\AppData\\Local\\Google\\Chrome\\Application\\chrome.exe';
const WIN_EDGE_X86 = 'C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe';

/** A filesystem holding exactly `present`, which records every path asked about. */
function disk(...present: string[]) {
  const asked: string[] = [];
  return { asked, exists: (p: string) => (asked.push(p), present.includes(p)) };
}

describe('findChromium', () => {
  it('takes LENSCRIBE_CHROMIUM first, even over Debian’s chromium, and looks nowhere else', () => {
    const fs = disk('/opt/my/chrome', '/usr/bin/chromium');
    expect(findChromium({ env: { LENSCRIBE_CHROMIUM: '/opt/my/chrome' }, exists: fs.exists, platform: 'linux' })).toBe('/opt/my/chrome');
    expect(fs.asked).toEqual(['/opt/my/chrome']);
  });

  it('a LENSCRIBE_CHROMIUM that does not exist is an error naming it, not a quiet fallback', () => {
    const fs = disk('/usr/bin/chromium');
    expect(() => findChromium({ env: { LENSCRIBE_CHROMIUM: '/nope/chrome' }, exists: fs.exists, platform: 'linux' })).toThrow(
      /LENSCRIBE_CHROMIUM is \/nope\/chrome, which does not exist/,
    );
  });

  it('an empty LENSCRIBE_CHROMIUM counts as unset', () => {
    expect(findChromium({ env: { LENSCRIBE_CHROMIUM: '' }, exists: disk('/usr/bin/chromium').exists, platform: 'linux' })).toBe(
      '/usr/bin/chromium',
    );
  });

  it('prefers Debian’s /usr/bin/chromium to any other browser on the machine', () => {
    const fs = disk('/usr/bin/chromium', '/usr/bin/google-chrome', MAC_CHROME);
    expect(findChromium({ env: {}, exists: fs.exists, platform: 'linux' })).toBe('/usr/bin/chromium');
    expect(fs.asked).toEqual(['/usr/bin/chromium']);
    expect(findChromium({ env: {}, exists: fs.exists, platform: 'darwin' })).toBe('/usr/bin/chromium');
  });

  it('on macOS: Google Chrome, then Chromium, then Edge, in /Applications or ~/Applications', () => {
    const mac = (...present: string[]) => findChromium({ env: { HOME: '/Users/me' }, exists: disk(...present).exists, platform: 'darwin' });
    expect(mac(MAC_EDGE, MAC_CHROMIUM, MAC_CHROME)).toBe(MAC_CHROME);
    expect(mac(MAC_EDGE, MAC_CHROMIUM)).toBe(MAC_CHROMIUM);
    expect(mac(MAC_EDGE)).toBe(MAC_EDGE);
    expect(mac('/Users/me/Applications/Google Chrome.app/Contents/MacOS/Google Chrome')).toBe(
      '/Users/me/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
    );
  });

  it('on Windows: Chrome in Program Files, Program Files (x86), then the per-user install; Edge last', () => {
    const win = (env: Record<string, string>, ...present: string[]) =>
      findChromium({ env, exists: disk(...present).exists, platform: 'win32' });
    expect(win(WIN_ENV, WIN_CHROME_USER, WIN_CHROME_X86, WIN_CHROME, WIN_EDGE_X86)).toBe(WIN_CHROME);
    expect(win(WIN_ENV, WIN_CHROME_USER, WIN_CHROME_X86, WIN_EDGE_X86)).toBe(WIN_CHROME_X86);
    expect(win(WIN_ENV, WIN_CHROME_USER, WIN_EDGE_X86)).toBe(WIN_CHROME_USER);
    expect(win(WIN_ENV, WIN_EDGE_X86)).toBe(WIN_EDGE_X86);
    // Windows' variable names are case-insensitive; a D: drive install is found through them.
    expect(win({ PROGRAMFILES: 'D:\\Apps' }, 'D:\\Apps\\Google\\Chrome\\Application\\chrome.exe')).toBe(
      'D:\\Apps\\Google\\Chrome\\Application\\chrome.exe',
    );
    // Without the variables, the usual folders.
    expect(win({}, WIN_CHROME)).toBe(WIN_CHROME);
  });

  it('on Linux without Debian’s chromium: chromium-browser, then Google Chrome', () => {
    const linux = (...present: string[]) => findChromium({ env: {}, exists: disk(...present).exists, platform: 'linux' });
    expect(linux('/usr/bin/google-chrome', '/usr/bin/chromium-browser')).toBe('/usr/bin/chromium-browser');
    expect(linux('/snap/bin/chromium', '/usr/bin/google-chrome')).toBe('/usr/bin/google-chrome');
    expect(linux('/opt/google/chrome/chrome')).toBe('/opt/google/chrome/chrome');
  });

  it('with no browser anywhere, says how to get one and where it looked', () => {
    for (const platform of ['linux', 'darwin', 'win32'] as const) {
      const fs = disk();
      let message = '';
      try {
        findChromium({ env: WIN_ENV, exists: fs.exists, platform });
      } catch (e) {
        message = (e as Error).message;
      }
      expect(message).toContain('apt-get install -y chromium');
      expect(message).toContain('set LENSCRIBE_CHROMIUM');
      // Every place it tried, Debian's first, is in the message.
      expect(fs.asked).toEqual(['/usr/bin/chromium', ...chromiumCandidates(platform, WIN_ENV)]);
      for (const p of fs.asked) expect(message).toContain(p);
    }
  });
});
