/**
 * The renderer's only way to the core: an ApiClient over Electron's preload bridge
 * (`window.lenscribe`) or, in a browser opened from `lenscribe serve`, over HTTP + SSE.
 */
import type { ApiClient, ApiErrorBody, ApiEvent, ApiEventKind, LenscribeBridge } from '../shared/api-contract.js';
import { ApiError, mediaRoutes } from '../shared/api-values.js';
import { Emitter } from '../shared/emitter.js';

declare global {
  interface Window {
    lenscribe?: LenscribeBridge;
  }
}

type Reply = { ok: true; result: unknown } | { ok: false; error: ApiErrorBody };

function unwrap(reply: Reply): unknown {
  if (reply.ok) return reply.result;
  throw ApiError.fromBody(reply.error);
}

export function createIpcClient(bridge: LenscribeBridge): ApiClient {
  return {
    transport: 'ipc',
    call: (async (method: string, input?: unknown) => unwrap(await bridge.call(method, input ?? {}))) as ApiClient['call'],
    onEvent: (listener) => bridge.onEvent(listener),
    photoUrl: (p) => `/${mediaRoutes.photo(p.folderId, p.relPath)}`,
    thumbUrl: (t) => `/${mediaRoutes.thumb(t)}`,
    pickFolder: () => bridge.pickFolder(),
    pathForFile: (file) => bridge.pathForFile(file),
    showInFolder: (photoId) => bridge.showInFolder(photoId),
  };
}

/** Every event kind, checked by the compiler against the contract (a kind left out would never reach the UI over SSE). */
const eventKindSet: Record<ApiEventKind, true> = { job: true, folders: true, photos: true, settings: true, teach: true, notice: true };
const eventKinds = Object.keys(eventKindSet) as ApiEventKind[];

/**
 * `base` is the server origin ('' = the page's own origin, as served by `lenscribe serve`,
 * authenticated by its cookie); `token` is for clients outside the page (scripts, tests).
 */
export function createHttpClient(base = '', token?: string): ApiClient {
  const events = new Emitter<{ event: ApiEvent }>();
  /** Subscribers: the event stream is open while there is one. */
  let subscribers = 0;
  let source: EventSource | null = null;
  const ensureSource = () => {
    if (source) return;
    source = new EventSource(`${base}/events`, { withCredentials: false });
    for (const kind of eventKinds) {
      source.addEventListener(kind, (msg) => {
        let event: ApiEvent;
        try {
          event = JSON.parse((msg as MessageEvent<string>).data) as ApiEvent;
        } catch {
          return;
        }
        events.emit('event', event);
      });
    }
  };
  return {
    transport: 'http',
    call: (async (method: string, input?: unknown) => {
      let res: Response;
      try {
        res = await fetch(`${base}/api/${encodeURIComponent(method)}`, {
          method: 'POST',
          headers: token ? { 'Content-Type': 'application/json', 'X-Lenscribe-Token': token } : { 'Content-Type': 'application/json' },
          body: JSON.stringify(input ?? {}),
          credentials: 'same-origin',
        });
      } catch (err) {
        throw new ApiError('unavailable', `Lenscribe is not reachable (${(err as Error).message}). Is \`lenscribe serve\` still running?`);
      }
      let reply: Reply;
      try {
        reply = (await res.json()) as Reply;
      } catch {
        throw new ApiError('internal', `Unexpected response (${res.status}).`);
      }
      return unwrap(reply);
    }) as ApiClient['call'],
    onEvent(listener) {
      const off = events.on('event', listener);
      subscribers++;
      ensureSource();
      let subscribed = true;
      return () => {
        if (!subscribed) return;
        subscribed = false;
        off();
        subscribers--;
        if (subscribers === 0 && source) {
          source.close();
          source = null;
        }
      };
    },
    photoUrl: (p) => `${base}/${mediaRoutes.photo(p.folderId, p.relPath)}`,
    thumbUrl: (t) => `${base}/${mediaRoutes.thumb(t)}`,
  };
}

export function createClient(): ApiClient {
  return window.lenscribe ? createIpcClient(window.lenscribe) : createHttpClient('');
}
