/**
 * ONNX Runtime sessions for the encoder: execution providers by platform (DirectML on
 * Windows, CoreML on macOS, CUDA on Linux when its libraries are present), tried in order,
 * CPU last. Exactly one log line says which provider runs and why the others were skipped.
 *
 * Overrides: option `provider` or env LENSCRIBE_EP — one name or a comma list in order
 * (`cpu`, `cuda`, `dml`, `coreml`, `webgpu`), or `auto`. Threads: option or
 * LENSCRIBE_ENCODER_THREADS (intra-op; 0 = onnxruntime's default).
 */
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { onnxRuntime, type InferenceSession, type SessionOptions as OrtSessionOptions } from '../../model/onnx-runtime.js';

export type ProviderName = 'cpu' | 'cuda' | 'dml' | 'coreml' | 'webgpu';

export interface SessionOptions {
  /** `auto` (default) or a provider / comma list of providers to try in order. */
  provider?: string;
  /** Intra-op threads; 0 or undefined = onnxruntime default (one per core). */
  threads?: number;
  /** Called once with the line saying which provider runs (default: console.error). */
  log?: (line: string) => void;
}

export interface OpenedSession {
  session: InferenceSession;
  provider: ProviderName;
  /** Providers tried before and why each was skipped. */
  skipped: Array<{ provider: ProviderName; reason: string }>;
  threads: number;
}

const require = createRequire(import.meta.url);

export function platformProviders(platform: NodeJS.Platform = process.platform): ProviderName[] {
  if (platform === 'win32') return ['dml', 'cpu'];
  if (platform === 'darwin') return ['coreml', 'cpu'];
  if (platform === 'linux') return ['cuda', 'cpu'];
  return ['cpu'];
}

export function requestedProviders(option?: string): ProviderName[] {
  const raw = (option ?? process.env.LENSCRIBE_EP ?? 'auto').trim().toLowerCase();
  if (raw === '' || raw === 'auto') return platformProviders();
  const names = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const known: ProviderName[] = ['cpu', 'cuda', 'dml', 'coreml', 'webgpu'];
  for (const n of names)
    if (!known.includes(n as ProviderName)) throw new Error(`unknown execution provider "${n}" (known: ${known.join(', ')}, auto)`);
  return names as ProviderName[];
}

/** Why a provider cannot run here, before trying it (undefined = worth trying). */
function precheck(p: ProviderName): string | undefined {
  if (p === 'cpu') return undefined;
  const supported = onnxRuntime().listSupportedBackends?.() ?? [];
  const entry = supported.find((b) => b.name === p);
  if (!entry) return `not in this onnxruntime-node build for ${process.platform}-${process.arch}`;
  if (p === 'cuda' && !entry.bundled) {
    // The CUDA provider library is installed by onnxruntime-node's install script (skipped here).
    const binDir = ortBinDir();
    if (!binDir || !readdirSync(binDir).some((f) => f.includes('providers_cuda')))
      return 'libonnxruntime_providers_cuda not installed (its install step is skipped: allowScripts in package.json)';
  }
  return undefined;
}

function ortBinDir(): string | undefined {
  try {
    const root = dirname(require.resolve('onnxruntime-node/package.json'));
    const dir = readdirSync(join(root, 'bin'))
      .map((d) => join(root, 'bin', d, process.platform, process.arch))
      .find((d) => existsSync(d));
    return dir;
  } catch {
    return undefined;
  }
}

/**
 * Intra-op threads for an encoder that runs beside photo decoding (the app's pipelines).
 * A CNN cheaper than decoding a photo (MobileNetV2: 3–8 ms against ~32) gets one thread: the
 * decodes keep every core busy, so a second CNN thread only competes with them and adds
 * hand-offs (measured on 2 cores: ~1.5 CPU-ms more per 12 MP photo, no faster overall). A CNN
 * dearer than decoding (InceptionV3: ~105 ms) is the bottleneck and gets every core (0); so
 * does the COCO detector (~16 ms at 320 px), which ran 12 MP photos end to end at 33.1/s with
 * two threads against 31.4/s with one (npm run bench -- encoder, LENSCRIBE_ENCODER_THREADS=1|2).
 */
export function pipelineThreads(encoderName: string): number {
  return encoderName.startsWith('mobilenet_v2') ? 1 : 0;
}

/** Intra-op threads: the option, else LENSCRIBE_ENCODER_THREADS, else `fallback` (0 = onnxruntime's default, one per core). */
export function intraOpThreads(option: number | undefined, fallback = 0): number {
  return option ?? (Number(process.env.LENSCRIBE_ENCODER_THREADS) || fallback);
}

export async function openSession(model: string | Uint8Array, opts: SessionOptions = {}): Promise<OpenedSession> {
  const providers = requestedProviders(opts.provider);
  const threads = intraOpThreads(opts.threads);
  const skipped: OpenedSession['skipped'] = [];
  const base: OrtSessionOptions = {
    graphOptimizationLevel: 'all',
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    // Spinning threads would steal the cores sharp's decoders need between batches.
    extra: { session: { 'intra_op.allow_spinning': '0' } },
  };
  const candidates = providers.includes('cpu') ? providers : [...providers, 'cpu' as const];
  for (const p of candidates) {
    const why = precheck(p);
    if (why) {
      skipped.push({ provider: p, reason: why });
      continue;
    }
    try {
      const { InferenceSession: Session } = onnxRuntime();
      const session =
        typeof model === 'string'
          ? await Session.create(model, { ...base, executionProviders: [p] })
          : await Session.create(model, { ...base, executionProviders: [p] });
      const line = `encoder: running on ${p}${threads ? ` with ${threads} threads` : ''}${skipped.length ? `; skipped ${skipped.map((s) => `${s.provider} (${s.reason})`).join(', ')}` : ''}${providers.includes(p) ? '' : ' (fallback)'}`;
      (opts.log ?? ((l: string) => console.error(l)))(line);
      return { session, provider: p, skipped, threads };
    } catch (e) {
      skipped.push({ provider: p, reason: firstLine((e as Error).message ?? String(e)) });
    }
  }
  throw new Error(`no execution provider could load the encoder: ${skipped.map((s) => `${s.provider}: ${s.reason}`).join('; ')}`);
}

function firstLine(s: string): string {
  return s.split('\n')[0].slice(0, 200);
}
