/**
 * The `lenscribe://` protocol: the only origin the window loads. `lenscribe://app/` serves the
 * built renderer; `lenscribe://app/media/<folderId>/<relPath>` and `lenscribe://app/thumbs/<file>`
 * serve the library's photos and their thumbnails through the same code as the HTTP server
 * (media.ts), so nothing else in the library's folders or the thumbnail cache can be read.
 */
import { protocol } from 'electron';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { ConfinementError, contentTypeFor, resolveUrlPathInRoot } from '../api/confine.js';
import type { ApiHost } from '../api/dispatch.js';
import { CONTENT_SECURITY_POLICY } from '../csp.js';
import { APP_ORIGIN, SCHEME } from './trust.js';

export { APP_ORIGIN, SCHEME };

/** Must run before app 'ready'. */
export function registerSchemePrivileges(): void {
  protocol.registerSchemesAsPrivileged([
    { scheme: SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, stream: true, codeCache: true } },
  ]);
}

function errorResponse(status: number, message: string): Response {
  return new Response(JSON.stringify({ ok: false, error: { code: status === 404 ? 'not_found' : 'invalid_input', message } }), {
    status,
    headers: { 'Content-Type': 'application/json', 'Content-Security-Policy': CONTENT_SECURITY_POLICY },
  });
}

/** Serve requests for `lenscribe://…` from the renderer folder and the library's media (the host, once open). */
export function handleProtocol(rendererDir: string, host: () => Pick<ApiHost, 'media'> | null): void {
  protocol.handle(SCHEME, async (request) => {
    try {
      const url = new URL(request.url);
      if (url.host !== 'app') return errorResponse(404, 'unknown host');
      if (request.method !== 'GET' && request.method !== 'HEAD') return errorResponse(405, 'method not allowed');
      // Keep the path encoded: confinement decodes each segment exactly once.
      const rawPath = request.url.slice(APP_ORIGIN.length).split(/[?#]/)[0] || '/';
      let file: string;
      if (rawPath.startsWith('/media/') || rawPath.startsWith('/thumbs/')) {
        const opened = host();
        if (!opened) return errorResponse(503, 'library not open');
        file = await opened.media(rawPath.slice(1));
      } else {
        file = await resolveUrlPathInRoot(rendererDir, rawPath === '/' ? 'index.html' : rawPath.slice(1));
      }
      // Read the file ourselves (not net.fetch of a file: URL, which the session's request filter refuses).
      const st = await stat(file);
      const body = request.method === 'HEAD' ? null : (Readable.toWeb(createReadStream(file)) as unknown as ReadableStream<Uint8Array>);
      const headers = new Headers({
        'Content-Type': contentTypeFor(file),
        'Content-Length': String(st.size),
        'Content-Security-Policy': CONTENT_SECURITY_POLICY,
        'X-Content-Type-Options': 'nosniff',
      });
      return new Response(body, { status: 200, headers });
    } catch (err) {
      if (err instanceof ConfinementError) return errorResponse(err.status, err.message);
      return errorResponse(500, String((err as Error)?.message ?? err));
    }
  });
}
