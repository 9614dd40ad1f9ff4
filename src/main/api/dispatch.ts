/**
 * The transport-independent boundary: a method name and an untrusted input come in (from IPC or
 * HTTP), the name is checked against the contract, the input is validated with its zod schema,
 * the handler runs, and any failure leaves as an ApiError with a stable code.
 */
import { ZodError } from 'zod';
import {
  ApiError,
  isApiMethod,
  parseInput,
  type ApiEvent,
  type ApiMethod,
  type ApiParsed,
  type ApiResult,
} from '../../shared/api-contract.js';
import { UserError } from '../../shared/errors.js';

export type Handlers = { [M in ApiMethod]: (input: ApiParsed<M>) => Promise<ApiResult<M>> | ApiResult<M> };

/** What a transport needs from the core: calls, events, media files, shutdown. */
export interface ApiHost {
  dispatch(method: unknown, input: unknown): Promise<unknown>;
  /** The file a media URL tail names (media.ts: resolveMedia), or a ConfinementError. */
  media(tail: string): Promise<string>;
  onEvent(listener: (event: ApiEvent) => void): () => void;
  close(): Promise<void>;
}

export async function dispatch(handlers: Handlers, method: unknown, input: unknown): Promise<unknown> {
  if (!isApiMethod(method)) throw new ApiError('unknown_method', `Unknown call ${JSON.stringify(String(method)).slice(0, 80)}.`);
  const parsed = parseInput(method, input);
  try {
    return await (handlers[method] as (i: unknown) => unknown)(parsed);
  } catch (err) {
    throw toApiError(err);
  }
}

export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof ZodError) {
    return new ApiError('invalid_input', err.issues.map((i) => i.message).join('; '));
  }
  if (err instanceof UserError) return new ApiError('conflict', err.message);
  const e = err as Error & { code?: string };
  if (e?.code === 'ENOENT') return new ApiError('not_found', e.message);
  return new ApiError('internal', e?.message ? String(e.message) : String(err));
}

/** The reply shape both transports put on the wire: never throws, errors become ApiErrorBody. */
export async function replyTo(
  host: Pick<ApiHost, 'dispatch'>,
  method: unknown,
  input: unknown,
): Promise<{ ok: true; result: unknown } | { ok: false; error: ReturnType<ApiError['toBody']> }> {
  try {
    return { ok: true, result: (await host.dispatch(method, input)) ?? null };
  } catch (err) {
    return { ok: false, error: toApiError(err).toBody() };
  }
}
