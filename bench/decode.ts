/**
 * `npm run bench -- decode [images]`: milliseconds per caption for beam search (width 3) and
 * greedy search on ONE core, against the same search written in PyTorch CPU (Debian
 * python3-torch, 1 thread) on the same weights and features, in the same run.
 *
 * 1. The default architecture (feature 688, embed 256, hidden 512, 1 layer, vocabulary 2700)
 *    with random weights. Random weights rarely emit <end>, so every caption runs the full
 *    20 words: a worst case.
 * 2. The bundled default decoder (models/default), if present, on random features drawn with
 *    its training feature statistics: realistic caption lengths.
 *
 * The peer runs at its best: Debian's python3-torch on OpenBLAS, the fastest correct OpenBLAS
 * kernel for this processor, for the peer process alone (bench/lib/torch-peer.ts, which installs
 * python3-torch and libopenblas0-pthread when missing). Each line's "peer_blas" is what the peer
 * measured in its own process; against a reference BLAS (or wrong or untuned products) "ratio" and
 * "cpu_ratio" are null with a "refused" reason, and the bench exits 1.
 *
 * Both sides must produce the same captions; each line says how many agreed. Figures (one
 * JSON line each; load_avg_1m says how busy the machine was):
 *   decode-beam3-single    one photo at a time (latency)
 *   decode-beam3-batched   all photos in one call (how the library captions a folder)
 *   decode-greedy-single   one photo at a time
 *   decode-beam3-single-reference-backend   the same through decoder.ts's DecoderStepModel, to
 *                          show what the onnx step model (loadDecoder's default) buys
 *   decode-beam3-guided-single   the default model's guided decoding (concept models) on the
 *                          sample photos, against its own plain beam search
 *   decode-beam3-guided-batched  the same with all 12 sample photos in one call, the way the
 *                          library captions a folder (it decodes 16 photos a call), against its own plain beam search
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beamSearch, captionFeatures, greedyDecode, type DecodedCaption } from '../src/model/decode.js';
import { openEncoder } from '../src/inference/encoder/index.js';
import { extractFeatures } from '../src/inference/feature-cache.js';
import { loadModel, storedOutputNames, storedRowInputs } from '../src/model/model-dir.js';
import { OnnxStepModel } from '../src/model/onnx-step-model.js';
import { defaultModelDir } from '../src/shared/paths.js';
import { setGemmThreads } from '../src/model/matmul.js';
import { loadDecoder } from '../src/model/decoder-io.js';
import { DecoderStepModel, initParams, paramShapes } from '../src/model/decoder.js';
import { Rng } from '../src/model/rng.js';
import { encodeSafetensors, type TensorInput } from '../src/model/safetensors.js';
import type { DecoderConfig, Params, StepModel } from '../src/model/types.js';
import { BENCH_DIR, blasRefusal, ensureTorchPeer, torchPeerEnv, type PeerBlas } from './lib/torch-peer.js';

const images = Number(process.argv[2]) || 24;
const MAX_LENGTH = 20;
const BEAM = 3;
/** Timed runs per figure (the median is reported). */
const REPS = 5;

process.env.LENSCRIBE_THREADS = '1';
setGemmThreads(1);
const torchPeer = ensureTorchPeer();
const { env: peerEnv, kernelChoice } = torchPeerEnv(torchPeer, 1);

// --- PyTorch: the same model and the same shrinking-beam search, 1 thread.
const PEER = String.raw`
import json, struct, sys, time
import numpy as np, torch
torch.set_num_threads(1)
path, images, beam_k, max_len, reps, which = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), sys.argv[6].split(',')
sys.path.insert(0, sys.argv[7])
from blas_probe import blas_report
blas = blas_report()
raw = open(path, 'rb').read()
(n,) = struct.unpack('<Q', raw[:8]); header = json.loads(raw[8:8 + n]); header.pop('__metadata__', None); data = raw[8 + n:]
T = {k: torch.from_numpy(np.frombuffer(data[v['data_offsets'][0]:v['data_offsets'][1]], dtype='<f4').reshape(v['shape']).copy()) for k, v in header.items()}
feats = T['features']; H = T['Wh_0'].shape[0]; V = T['b_vocab'].shape[0]
L = sum(1 for k in T if k.startswith('Wh_'))
PAD, START, END, UNK = 0, 1, 2, 3
mask = torch.zeros(V); mask[[PAD, START, UNK]] = float('-inf')
mask_first = mask.clone(); mask_first[END] = float('-inf')   # minLength 1

def init_state(f):
    h0 = torch.tanh(((f - T['feature_mean']) / T['feature_std']) @ T['W_proj'] + T['b_proj'])
    hs = [h0[:, l * H:(l + 1) * H].contiguous() for l in range(L)]
    return hs, [torch.zeros_like(h) for h in hs]

def step(hs, cs, tokens):
    x = T['W_embed'][tokens]
    for l in range(L):
        a = x @ T['Wx_%d' % l] + hs[l] @ T['Wh_%d' % l] + T['b_%d' % l]
        i, f, o, g = a.split(H, dim=1)
        cs[l] = torch.sigmoid(f) * cs[l] + torch.sigmoid(i) * torch.tanh(g)
        hs[l] = torch.sigmoid(o) * torch.tanh(cs[l])
        x = hs[l]
    return torch.log_softmax(x @ T['W_vocab'] + T['b_vocab'], dim=1)

def score(lp, words, ended, alpha=0.7):
    return lp / (words + (1 if ended else 0)) ** alpha

def beam_search(f, k):
    n = f.shape[0]
    hs, cs = init_state(f)
    live = [[([], 0.0, i)] for i in range(n)]
    finished = [[] for _ in range(n)]
    tokens = torch.full((n,), START, dtype=torch.long)
    for t in range(max_len):
        logp = step(hs, cs, tokens) + (mask_first if t == 0 else mask)
        rows, words, nxt = [], [], []
        for i in range(n):
            beams = live[i]
            if not beams:
                nxt.append(beams); continue
            slots = k - len(finished[i])
            cand = (torch.tensor([b[1] for b in beams], dtype=torch.float64)[:, None] + logp[[b[2] for b in beams]].double()).reshape(-1)
            top_v, top_i = torch.topk(cand, slots)
            kept = []
            for v, j in zip(top_v.tolist(), top_i.tolist()):
                parent = beams[j // V]; w = j % V
                if w == END:
                    finished[i].append((parent[0], v, True))
                elif t + 1 == max_len:
                    finished[i].append((parent[0] + [w], v, False))
                else:
                    kept.append((parent[0] + [w], v, len(rows))); rows.append(parent[2]); words.append(w)
            nxt.append(kept)
        live = nxt
        if not rows:
            break
        idx = torch.tensor(rows); hs = [h[idx] for h in hs]; cs = [c[idx] for c in cs]; tokens = torch.tensor(words)
    return [max(fs, key=lambda x: score(x[1], len(x[0]), x[2]))[0] for fs in finished]

def greedy(f):
    n = f.shape[0]
    hs, cs = init_state(f)
    out = [[] for _ in range(n)]; alive = list(range(n))
    tokens = torch.full((n,), START, dtype=torch.long)
    for t in range(max_len):
        best = torch.argmax(step(hs, cs, tokens) + (mask_first if t == 0 else mask), dim=1).tolist()
        keep = []
        for r, w in enumerate(best):
            if w != END:
                out[alive[r]].append(w); keep.append(r)
        if not keep:
            break
        idx = torch.tensor(keep); hs = [h[idx] for h in hs]; cs = [c[idx] for c in cs]
        tokens = torch.tensor([best[r] for r in keep]); alive = [alive[r] for r in keep]
    return out

def measure(fn, batched):
    def run():
        if batched: return fn(feats)
        return [fn(feats[i:i + 1])[0] for i in range(images)]
    run()
    times, cpu = [], []
    for _ in range(reps):
        t0 = time.perf_counter(); c0 = time.process_time(); caps = run()
        times.append((time.perf_counter() - t0) * 1000 / images); cpu.append((time.process_time() - c0) * 1000 / images)
    times.sort(); cpu.sort()
    return times[len(times) // 2], cpu[len(cpu) // 2], caps

searches = {'beamSingle': (lambda f: beam_search(f, beam_k), False), 'beamBatched': (lambda f: beam_search(f, beam_k), True), 'greedySingle': (greedy, False)}
with torch.inference_mode():
    res = {}
    for name in which:
        fn, batched = searches[name]
        ms, cpu_ms, caps = measure(fn, batched)
        res[name] = {'ms': ms, 'cpu_ms': cpu_ms, 'captions': caps}
    res['torch'] = torch.__version__
    res['blas'] = blas
    print(json.dumps(res))
`;

type Search = (m: StepModel, f: Float32Array, n: number) => DecodedCaption[];
type Key = 'beamSingle' | 'beamBatched' | 'greedySingle';
const label: Record<Key, string> = {
  beamSingle: 'decode-beam3-single',
  beamBatched: 'decode-beam3-batched',
  greedySingle: 'decode-greedy-single',
};

function benchDecoder(
  weights: string,
  params: Params<Float32Array>,
  config: DecoderConfig,
  features: Float32Array,
  keys: Key[],
  reference: boolean,
): void {
  const D = config.featureDim;
  const vocab = { size: config.vocabSize, decode: (ids: ArrayLike<number>) => Array.from(ids).join(' ') };
  const model = new OnnxStepModel(params, { threads: 1 });
  const beam: Search = (m, f, n) => beamSearch(m, vocab, f, n, { beamWidth: BEAM, maxLength: MAX_LENGTH }).map((l) => l[0]!);
  const greedy: Search = (m, f, n) => greedyDecode(m, vocab, f, n, { maxLength: MAX_LENGTH });

  /** Median over `reps` runs of (ms per caption), one photo at a time or all at once. */
  const measure = (search: Search, batched: boolean, reps: number, m: StepModel = model) => {
    let captions: DecodedCaption[] = [];
    const run = () => {
      if (batched) return search(m, features, images);
      const out: DecodedCaption[] = [];
      for (let i = 0; i < images; i++) out.push(search(m, features.subarray(i * D, (i + 1) * D), 1)[0]!);
      return out;
    };
    run(); // warm-up
    const times: number[] = [];
    const cpu: number[] = [];
    for (let r = 0; r < reps; r++) {
      const t = performance.now();
      const c = process.cpuUsage();
      captions = run();
      const used = process.cpuUsage(c);
      times.push((performance.now() - t) / images);
      cpu.push((used.user + used.system) / 1000 / images);
    }
    const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    return { ms: median(times), cpuMs: median(cpu), captions };
  };
  const searches: Record<Key, [Search, boolean]> = { beamSingle: [beam, false], beamBatched: [beam, true], greedySingle: [greedy, false] };
  const ours: Array<[string, Key, { ms: number; cpuMs: number; captions: DecodedCaption[] }, string]> = keys.map((k) => [
    label[k],
    k,
    measure(searches[k][0], searches[k][1], REPS),
    'OnnxStepModel',
  ]);
  if (reference) {
    ours.push([
      `${label.beamSingle}-reference-backend`,
      'beamSingle',
      measure(beam, false, 1, new DecoderStepModel(params)),
      'decoder.ts DecoderStepModel',
    ]);
  }

  const dir = mkdtempSync(join(tmpdir(), 'lenscribe-bench-decode-'));
  const file = join(dir, 'weights.safetensors');
  const tensors: Record<string, TensorInput> = { features: { shape: [images, D], data: features } };
  for (const [name, shape] of Object.entries(paramShapes(config))) tensors[name] = { shape, data: params[name]! };
  writeFileSync(file, encodeSafetensors(tensors));
  const peer = spawnSync(
    torchPeer.python,
    ['-c', PEER, file, String(images), String(BEAM), String(MAX_LENGTH), String(REPS), keys.join(','), BENCH_DIR],
    { encoding: 'utf8', env: peerEnv, maxBuffer: 64 << 20 },
  );
  rmSync(dir, { recursive: true, force: true });
  if (peer.status !== 0) {
    console.error(peer.stderr);
    process.exit(1);
  }
  const theirs = JSON.parse(peer.stdout.trim().split('\n').at(-1)!) as Record<Key, { ms: number; cpu_ms: number; captions: number[][] }> & {
    torch: string;
    blas: PeerBlas;
  };
  const peerBlas: PeerBlas = { ...theirs.blas, ...(kernelChoice ? { kernel_choice: kernelChoice } : {}) };
  const refused = blasRefusal(peerBlas);
  if (refused) {
    console.error(`bench decode: no ratio: ${refused}`);
    process.exitCode = 1;
  }

  for (const [name, key, o, backend] of ours) {
    const p = theirs[key];
    const same = o.captions.filter((c, i) => c.tokens.join(' ') === (p.captions[i] ?? []).join(' ')).length;
    const words = o.captions.reduce((s, c) => s + c.tokens.length, 0) / o.captions.length;
    console.log(
      JSON.stringify({
        bench: name,
        ms_per_caption: round(o.ms, 2),
        peer: 'pytorch',
        peer_ms_per_caption: round(p.ms, 2),
        ratio: refused ? null : round(p.ms / o.ms, 3), // > 1: Lenscribe is faster
        ...(refused ? { refused } : {}),
        ...(key.startsWith('beam') ? { limit_ms: 10 } : {}),
        // CPU time of the process (user + system) per caption: less sensitive to a busy machine.
        cpu_ms_per_caption: round(o.cpuMs, 2),
        peer_cpu_ms_per_caption: round(p.cpu_ms, 2),
        cpu_ratio: refused ? null : round(p.cpu_ms / o.cpuMs, 3),
        load_avg_1m: round(loadavg()[0]!, 1),
        weights,
        backend,
        images,
        batch: key === 'beamBatched' ? images : 1,
        mean_words: round(words, 1),
        same_captions: `${same}/${images}`,
        threads: 1,
        arch: {
          feature: D,
          embed: config.embedDim,
          hidden: config.hiddenDim,
          layers: config.layers,
          vocab: config.vocabSize,
          max_length: MAX_LENGTH,
        },
        peer_version: theirs.torch,
        peer_blas: peerBlas,
      }),
    );
  }
}

// 1. Random weights, default architecture.
{
  const config: DecoderConfig = { featureDim: 688, embedDim: 256, hiddenDim: 512, layers: 1, vocabSize: 2700, dropout: 0 };
  const rng = new Rng(7);
  const features = Float32Array.from({ length: images * config.featureDim }, () => rng.normal());
  benchDecoder('random', initParams(config, 1), config, features, ['beamSingle', 'beamBatched', 'greedySingle'], true);
}

// 2. The bundled default decoder, if it exists yet.
if (existsSync(join(defaultModelDir, 'config.json'))) {
  const decoder = loadDecoder(defaultModelDir, { backend: 'reference' });
  const { config, params } = decoder;
  const rng = new Rng(8);
  const D = config.featureDim;
  const features = new Float32Array(images * D);
  for (let i = 0; i < images; i++) {
    for (let j = 0; j < D; j++) features[i * D + j] = Math.max(0, params.feature_mean![j]! + params.feature_std![j]! * rng.normal());
  }
  benchDecoder('models/default', params, config, features, ['beamSingle', 'beamBatched'], false);
} else {
  console.log(JSON.stringify({ bench: 'decode-default-model', skipped: `no decoder at ${defaultModelDir} yet` }));
}

// 3. The default decoder's guided decoding (constrained beam search with vetoes, from the concept
//    scores) on the sample photos, one at a time, against its own plain beam search on the same
//    photos in the same run: what the guidance costs per caption.
if (existsSync(join(defaultModelDir, 'model.json'))) await benchGuided();

async function benchGuided(): Promise<void> {
  const model = loadModel(defaultModelDir);
  const guidance = model.manifest.decoding.guidance;
  const K = model.decoder.config.conceptDim ?? 0;
  if (!guidance || K === 0) {
    console.log(JSON.stringify({ bench: 'decode-beam3-guided-single', skipped: 'the default model has no guided decoding' }));
    return;
  }
  const samples = readdirSync('samples')
    .filter((f) => f.endsWith('.jpg'))
    .map((f) => resolve('samples', f));
  const encoder = await openEncoder({ name: model.manifest.encoder.name, threads: 1 });
  let rows;
  try {
    rows = await extractFeatures(encoder, samples, { outputs: storedOutputNames(model.manifest.features) });
  } finally {
    await encoder.close();
  }
  const D = model.decoder.config.featureDim;
  const n = samples.length;
  const x = storedRowInputs(rows.features, n, D, K);
  const step = new OnnxStepModel(model.decoder.params, { threads: 1 });
  /** Photos [from, to) captioned in one call. */
  const decode = (from: number, to: number, guided: boolean): string[] =>
    captionFeatures(step, model.decoder.vocab, x.features.subarray(from * D, to * D), to - from, {
      beamWidth: BEAM,
      maxLength: model.manifest.decoder.maxLength,
      noRepeatNgram: model.manifest.decoding.noRepeatNgram ?? 0,
      concepts: x.concepts!.subarray(from * K, to * K),
      ...(guided ? { guideBy: guidance } : {}),
    }).map((r) => r.text);
  type Timing = { ms: number; cpuMs: number; texts: string[] };
  /** The median of REPS timed runs (after a warm-up), per caption. */
  const median = (run: () => string[]): Timing => {
    const once = () => {
      const t = performance.now();
      const c = process.cpuUsage();
      const texts = run();
      const used = process.cpuUsage(c);
      return { ms: (performance.now() - t) / n, cpuMs: (used.user + used.system) / 1000 / n, texts };
    };
    once();
    const runs = Array.from({ length: REPS }, once).sort((a, b) => a.ms - b.ms);
    return runs[Math.floor(REPS / 2)]!;
  };
  const oneByOne = (guided: boolean) => () => Array.from({ length: n }, (_, i) => decode(i, i + 1, guided)[0]!);
  // All photos in one call: the steps' fixed cost (reading the weights) is shared by every row.
  const together = (guided: boolean) => () => decode(0, n, guided);
  const guided = median(oneByOne(true));
  const plain = median(oneByOne(false));
  const guidedBatched = median(together(true));
  const plainBatched = median(together(false));
  const line = (bench: string, peer: string, g: Timing, p: Timing, extra: Record<string, unknown>) =>
    console.log(
      JSON.stringify({
        bench,
        ms_per_caption: round(g.ms, 2),
        peer,
        peer_ms_per_caption: round(p.ms, 2),
        ratio: round(p.ms / g.ms, 3),
        limit_ms: 10,
        cpu_ms_per_caption: round(g.cpuMs, 2),
        peer_cpu_ms_per_caption: round(p.cpuMs, 2),
        load_avg_1m: round(loadavg()[0]!, 1),
        photos: n,
        ...extra,
        threads: 1,
      }),
    );
  line('decode-beam3-guided-single', 'the same decoder, plain beam search (no guidance), same photos and run', guided, plain, {
    guidance,
    captions_changed: guided.texts.filter((t, i) => t !== plain.texts[i]).length,
  });
  line(
    'decode-beam3-guided-batched',
    'the same decoder, plain beam search (no guidance), same photos in one call, same run',
    guidedBatched,
    plainBatched,
    { batch: n, same_captions_as_single: `${guidedBatched.texts.filter((t, i) => t === guided.texts[i]).length}/${n}` },
  );
}

function round(x: number, digits = 1): number {
  const k = 10 ** digits;
  return Math.round(x * k) / k;
}
