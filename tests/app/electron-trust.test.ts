import { describe, expect, it } from 'vitest';
import { isAllowedRequest, isAppUrl } from '../../src/main/electron/trust.js';

describe('desktop window trust rules', () => {
  it('accepts only our own origin for navigation and IPC', () => {
    expect(isAppUrl('lenscribe://app/index.html')).toBe(true);
    expect(isAppUrl('lenscribe://app/media/1/a.jpg')).toBe(true);
    for (const url of [
      'lenscribe://app',
      'lenscribe://appx/index.html',
      'lenscribe://app.evil.com/index.html',
      'lenscribe://user@app/index.html',
      'LENSCRIBE://evil/index.html',
      'https://app/index.html',
      'http://127.0.0.1:5173/',
      'file:///etc/passwd',
      'javascript:alert(1)',
      'about:blank',
      '',
      'not a url',
    ]) {
      expect(isAppUrl(url), url).toBe(false);
    }
  });

  it('lets no remote content load', () => {
    expect(isAllowedRequest('lenscribe://app/assets/index.js')).toBe(true);
    expect(isAllowedRequest('data:,')).toBe(true);
    expect(isAllowedRequest('https://example.com/tracker.js')).toBe(false);
    expect(isAllowedRequest('http://localhost/')).toBe(false);
    expect(isAllowedRequest('ws://127.0.0.1:1234/')).toBe(false);
    expect(isAllowedRequest('file:///home/me/photo.jpg')).toBe(false);
  });
});
