/**
 * The one way into onnxruntime-node: every session and tensor of the app and of the converters
 * is made through here.
 *
 * Loaded lazily, on the first call that needs it: the native library costs ~60 ms and its
 * memory to load, and most importers of src/model never run it (float64 gradient checks and
 * small products take the reference loops; CLI commands that only read files).
 *
 *  - `onnxRuntime()`: the public module (asynchronous InferenceSession, Tensor,
 *    listSupportedBackends), for the encoders and the converters.
 *  - `nativeRuntime()`: the synchronous native session beneath it, for the hot paths (gemm,
 *    the decoder step). The public `run()` only wraps this same call in a Promise, and a
 *    Promise per matrix product would cost more than the product.
 */
import { createRequire } from 'node:module';
import type * as Ort from 'onnxruntime-node';
import { disableOrtTelemetry } from '../shared/ort-telemetry.js';

export type OnnxRuntime = typeof Ort;
export type InferenceSession = Ort.InferenceSession;
export type SessionOptions = Ort.InferenceSession.SessionOptions;
export type Tensor = Ort.Tensor;

/** onnxruntime-node's native session: loads a model from bytes and runs it synchronously. */
export interface NativeSession {
  loadModel(buffer: ArrayBuffer, byteOffset: number, byteLength: number, options: object): void;
  /** `fetches` maps output names to null (allocated by onnxruntime) or to a preallocated tensor. */
  run(feeds: object, fetches: object, options: object): Record<string, { data: Float32Array }>;
  dispose(): void;
}

export interface NativeRuntime {
  Tensor: OnnxRuntime['Tensor'];
  /** A native session of the model `bytes` (an encoded ONNX ModelProto). */
  createSession(bytes: Uint8Array, options: object): NativeSession;
}

const require = createRequire(import.meta.url);
let ort: OnnxRuntime | undefined;
let native: NativeRuntime | undefined;

export function onnxRuntime(): OnnxRuntime {
  if (!ort) disableOrtTelemetry();
  ort ??= require('onnxruntime-node') as OnnxRuntime;
  return ort;
}

export function nativeRuntime(): NativeRuntime {
  if (native) return native;
  const { Tensor } = onnxRuntime();
  const bindingModule = require('onnxruntime-node/dist/binding') as {
    binding: { InferenceSession: new () => NativeSession };
    initOrt: () => void;
  };
  bindingModule.initOrt();
  const { InferenceSession: Session } = bindingModule.binding;
  native = {
    Tensor,
    createSession(bytes, options) {
      const session = new Session();
      session.loadModel(bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.byteLength, options);
      return session;
    },
  };
  return native;
}

/**
 * Options for a native session on the hot paths: every graph optimisation, one node at a time,
 * `threads` intra-op threads (0 = onnxruntime's default, one per core). `spinning` sets whether
 * those threads spin-wait between runs; undefined leaves onnxruntime's default.
 */
export function nativeSessionOptions(threads: number, spinning?: boolean): object {
  return {
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
    ...(threads > 0 ? { intraOpNumThreads: threads } : {}),
    ...(spinning === undefined ? {} : { extra: { session: { intra_op: { allow_spinning: spinning ? '1' : '0' } } } }),
  };
}
