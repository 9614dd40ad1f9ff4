/**
 * Which URLs the desktop window may load, navigate to, or accept IPC from: only our own
 * `lenscribe://app/` origin. Pure functions (no Electron import) so they are tested under Node.
 */
export const SCHEME = 'lenscribe';
export const APP_ORIGIN = `${SCHEME}://app`;

export function isAppUrl(url: string): boolean {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  return u.protocol === `${SCHEME}:` && u.host === 'app' && u.username === '' && u.password === '' && url.startsWith(`${APP_ORIGIN}/`);
}

/** Requests the session lets through: our origin, devtools, and inline data: (the empty favicon). */
export function isAllowedRequest(url: string): boolean {
  return isAppUrl(url) || url.startsWith('devtools://') || url.startsWith('data:');
}
