/**
 * The HTTP transport of `lenscribe serve`: the built renderer, the API (POST /api/<method>),
 * core events as Server-Sent Events (GET /events) and media (GET /media/…, /thumbs/…).
 *
 * Security: bound to 127.0.0.1 unless told otherwise; a random token is required on every
 * request (header `x-lenscribe-token`, `Authorization: Bearer`, or the HttpOnly SameSite=Strict
 * cookie set when the printed URL's `?token=` is first opened); the Host header must name this
 * server (DNS rebinding); API calls must be JSON POSTs from this origin, at most 1 MB and 32
 * levels deep; strict CSP on every response; only the library's photos and their thumbnails are
 * served (media.ts); every error is JSON.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApiError, type ApiErrorBody } from '../../shared/api-contract.js';
import { ConfinementError, contentTypeFor, resolveUrlPathInRoot } from '../api/confine.js';
import { replyTo, toApiError, type ApiHost } from '../api/dispatch.js';
import { checkJsonTextDepth, MAX_BODY_BYTES } from '../api/input-limits.js';
import { CONTENT_SECURITY_POLICY } from '../csp.js';

export interface ServeOptions {
  host: ApiHost;
  /** Folder with the built renderer (index.html, assets/). */
  rendererDir: string;
  /** Interface to bind; 127.0.0.1 by default. */
  bind?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Fixed token (tests); random otherwise. */
  token?: string;
}

export interface RunningServer {
  /** Origin, e.g. http://127.0.0.1:5123 */
  origin: string;
  /** The URL to open: origin + /?token=… */
  url: string;
  port: number;
  token: string;
  server: Server;
  close(): Promise<void>;
}

/** An API error answered with its own HTTP status (413) rather than its code's. */
class HttpRefusal extends ApiError {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super('invalid_input', message);
  }
}

function securityHeaders(res: ServerResponse): void {
  res.setHeader('Content-Security-Policy', CONTENT_SECURITY_POLICY);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
  res.setHeader('Permissions-Policy', 'camera=(), microphone=(), geolocation=(), usb=(), serial=()');
}

const httpStatus: Record<ApiErrorBody['code'], number> = {
  invalid_input: 400,
  unknown_method: 404,
  not_found: 404,
  conflict: 409,
  unavailable: 503,
  internal: 500,
};

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Cache-Control': 'no-store',
    'Content-Length': Buffer.byteLength(text),
  });
  res.end(text);
}

function sendError(res: ServerResponse, status: number, code: ApiErrorBody['code'], message: string): void {
  sendJson(res, status, { ok: false, error: { code, message } });
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function cookieValue(header: string | undefined, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      // Over the limit: keep draining (so the client gets our answer), drop the bytes,
      // and give up on the connection only when it goes on far too long.
      if (size > MAX_BODY_BYTES * 16) req.destroy();
      else if (size <= MAX_BODY_BYTES) chunks.push(c);
    });
    req.on('end', () =>
      size > MAX_BODY_BYTES
        ? reject(new HttpRefusal(413, `Request body too large: ${size} bytes (1 MB at most).`))
        : resolve(Buffer.concat(chunks).toString('utf8')),
    );
    req.on('error', reject);
  });
}

async function sendFile(req: IncomingMessage, res: ServerResponse, file: string, cache: string): Promise<void> {
  const st = await stat(file);
  res.writeHead(200, { 'Content-Type': contentTypeFor(file), 'Content-Length': st.size, 'Cache-Control': cache });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  await new Promise<void>((resolve) => {
    const stream = createReadStream(file);
    stream.on('error', () => {
      res.destroy();
      resolve();
    });
    stream.on('end', resolve);
    stream.pipe(res);
  });
}

/** What a request handler needs to know about the running server. */
interface ServerContext {
  host: ApiHost;
  rendererDir: string;
  token: string;
  /** Open event streams. */
  sse: Set<ServerResponse>;
  /** Host header values (and Origin hosts) that name this server. */
  allowedHosts(): Set<string>;
  /** The token cookie's name (per port, so two servers on one machine do not clash). */
  cookieName(): string;
}

/**
 * Checks the token. The printed URL's token sets the cookie once, then we drop it from the URL
 * (a redirect). Returns false when the request was answered here (the redirect or a 401).
 */
function authenticate(ctx: ServerContext, req: IncomingMessage, res: ServerResponse, url: URL): boolean {
  const queryToken = url.searchParams.get('token');
  const headerToken =
    (req.headers['x-lenscribe-token'] as string | undefined) ??
    (req.headers.authorization?.startsWith('Bearer ') ? req.headers.authorization.slice(7) : undefined);
  const cookieToken = cookieValue(req.headers.cookie, ctx.cookieName());
  if (queryToken !== null && (req.method === 'GET' || req.method === 'HEAD') && safeEqual(queryToken, ctx.token)) {
    url.searchParams.delete('token');
    res.setHeader('Set-Cookie', `${ctx.cookieName()}=${ctx.token}; HttpOnly; SameSite=Strict; Path=/`);
    res.writeHead(303, { Location: url.pathname + (url.search || ''), 'Cache-Control': 'no-store' });
    res.end();
    return false;
  }
  const presented = headerToken ?? cookieToken;
  if (!presented || !safeEqual(presented, ctx.token)) {
    // A person who opened the address by hand (or an old bookmark) gets a page that says what to do.
    if ((req.method === 'GET' || req.method === 'HEAD') && wantsPage(req, url)) sendTokenPage(req, res);
    else sendError(res, 401, 'invalid_input', 'Missing or wrong token: open the URL that `lenscribe serve` printed.');
    return false;
  }
  return true;
}

/** A browser's navigation to a page (not the API, the event stream or a file the app fetches). */
function wantsPage(req: IncomingMessage, url: URL): boolean {
  return (req.headers.accept ?? '').includes('text/html') && !url.pathname.startsWith('/api/') && url.pathname !== '/events';
}

const TOKEN_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Lenscribe: open the address serve printed</title></head>
<body>
<h1>Open the address <code>lenscribe serve</code> printed</h1>
<p>This is Lenscribe on your computer. To keep other pages and programs out, it only answers the browser that
opened the address it printed when it started, which ends in <code>?token=…</code>.</p>
<ul>
<li>Copy that whole address from the terminal where <code>lenscribe serve</code> runs and open it here.</li>
<li>If <code>lenscribe serve</code> was started again since, its token changed: use the new address.</li>
</ul>
</body></html>
`;

function sendTokenPage(req: IncomingMessage, res: ServerResponse): void {
  res.writeHead(401, {
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Length': Buffer.byteLength(TOKEN_PAGE),
    'Cache-Control': 'no-store',
  });
  res.end(req.method === 'HEAD' ? undefined : TOKEN_PAGE);
}

/** The call's name and JSON input from `POST /api/<method>`. */
async function readCall(req: IncomingMessage, rawPath: string): Promise<{ method: string; input: unknown }> {
  let method: string;
  try {
    method = decodeURIComponent(rawPath.slice('/api/'.length));
  } catch {
    throw new ApiError('invalid_input', 'Malformed call name.');
  }
  const text = await readBody(req);
  let input: unknown = undefined;
  if (text.trim() !== '') {
    checkJsonTextDepth(text);
    try {
      input = JSON.parse(text);
    } catch {
      throw new ApiError('invalid_input', 'Request body is not valid JSON.');
    }
  }
  return { method, input };
}

async function handleApi(ctx: ServerContext, req: IncomingMessage, res: ServerResponse, rawPath: string): Promise<void> {
  if (req.method !== 'POST') return sendError(res, 405, 'invalid_input', 'API calls are POST requests.');
  const origin = req.headers.origin;
  if (origin !== undefined && !ctx.allowedHosts().has(origin.replace(/^http:\/\//, '').toLowerCase())) {
    return sendError(res, 403, 'invalid_input', 'Cross-origin API calls are refused.');
  }
  if (!(req.headers['content-type'] ?? '').toLowerCase().startsWith('application/json')) {
    return sendError(res, 415, 'invalid_input', 'API calls must send application/json.');
  }
  try {
    const { method, input } = await readCall(req, rawPath);
    const reply = await replyTo(ctx.host, method, input);
    return sendJson(res, reply.ok ? 200 : httpStatus[reply.error.code], reply);
  } catch (err) {
    const e = toApiError(err);
    return sendJson(res, e instanceof HttpRefusal ? e.status : httpStatus[e.code], { ok: false, error: e.toBody() });
  }
}

function openEventStream(ctx: ServerContext, req: IncomingMessage, res: ServerResponse): void {
  res.writeHead(200, {
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-store',
    Connection: 'keep-alive',
    'X-Accel-Buffering': 'no',
  });
  res.write('retry: 2000\n: connected\n\n');
  ctx.sse.add(res);
  req.on('close', () => ctx.sse.delete(res));
}

/** Media (photos, thumbnails) and the built renderer's files. */
async function serveFiles(ctx: ServerContext, req: IncomingMessage, res: ServerResponse, rawPath: string): Promise<void> {
  try {
    if (rawPath.startsWith('/media/') || rawPath.startsWith('/thumbs/')) {
      const file = await ctx.host.media(rawPath.slice(1));
      return await sendFile(req, res, file, 'private, max-age=300');
    }
    const tail = rawPath === '/' || rawPath === '/index.html' ? 'index.html' : rawPath.slice(1);
    const file = await resolveUrlPathInRoot(ctx.rendererDir, tail);
    return await sendFile(req, res, file, tail === 'index.html' ? 'no-store' : 'private, max-age=3600');
  } catch (err) {
    if (err instanceof ConfinementError) {
      return sendError(res, err.status, err.status === 404 ? 'not_found' : 'invalid_input', err.message);
    }
    const e = toApiError(err);
    return sendError(res, httpStatus[e.code], e.code, e.message);
  }
}

async function handle(ctx: ServerContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  securityHeaders(res);
  const hostHeader = (req.headers.host ?? '').toLowerCase();
  if (!ctx.allowedHosts().has(hostHeader)) return sendError(res, 421, 'invalid_input', 'Unexpected Host header.');
  let url: URL;
  try {
    url = new URL(req.url ?? '/', `http://${hostHeader}`);
  } catch {
    return sendError(res, 400, 'invalid_input', 'Malformed URL.');
  }
  // The raw path (still encoded) so that %2e%2e and %2f are judged by the confinement code.
  const rawPath = (req.url ?? '/').split('?')[0];
  if (!authenticate(ctx, req, res, url)) return;
  if (rawPath.startsWith('/api/')) return handleApi(ctx, req, res, rawPath);
  if (req.method !== 'GET' && req.method !== 'HEAD') return sendError(res, 405, 'invalid_input', 'Method not allowed.');
  if (rawPath === '/events') return openEventStream(ctx, req, res);
  return serveFiles(ctx, req, res, rawPath);
}

export async function startServer(options: ServeOptions): Promise<RunningServer> {
  const bind = options.bind ?? '127.0.0.1';
  const token = options.token ?? randomBytes(24).toString('base64url');
  const sse = new Set<ServerResponse>();
  let port = 0;
  let cookieName = 'lenscribe_token';
  const ctx: ServerContext = {
    host: options.host,
    rendererDir: options.rendererDir,
    token,
    sse,
    allowedHosts: () =>
      new Set([
        `127.0.0.1:${port}`,
        `localhost:${port}`,
        `[::1]:${port}`,
        `${bind}:${port}`,
        bind.includes(':') ? `[${bind}]:${port}` : '',
      ]),
    cookieName: () => cookieName,
  };

  const unsubscribe = options.host.onEvent((event) => {
    const frame = `event: ${event.kind}\ndata: ${JSON.stringify(event)}\n\n`;
    for (const res of sse) res.write(frame);
  });
  const heartbeat = setInterval(() => {
    for (const res of sse) res.write(': keep-alive\n\n');
  }, 15_000);
  heartbeat.unref();

  const server = createServer((req, res) => {
    handle(ctx, req, res).catch((err) => sendError(res, 500, 'internal', String((err as Error)?.message ?? err)));
  });
  server.on('clientError', (_err, socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, bind, () => {
      server.off('error', reject);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;
  cookieName = `lenscribe_token_${port}`;
  const hostForUrl = bind.includes(':') ? `[${bind}]` : bind === '0.0.0.0' ? '127.0.0.1' : bind;
  const origin = `http://${hostForUrl}:${port}`;
  return {
    origin,
    url: `${origin}/?token=${token}`,
    port,
    token,
    server,
    async close() {
      clearInterval(heartbeat);
      unsubscribe();
      for (const res of sse) res.end();
      sse.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
