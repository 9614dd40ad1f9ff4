/**
 * The one Content-Security-Policy of the renderer, sent by both places that serve it: the HTTP
 * server of `lenscribe serve` and Electron's `lenscribe://` protocol. Only the app's own scripts,
 * styles, fonts, images (and data: thumbnails) and API/SSE calls; nothing else (no manifest:
 * the page has none, so default-src 'none' covers it), no framing, no forms, no plugins.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "object-src 'none'",
].join('; ');
