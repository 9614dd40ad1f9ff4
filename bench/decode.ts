/**
 * `npm run bench -- decode [images]`: milliseconds per caption for beam search (width 3) and
 * greedy search with the default decoder architecture (feature 1664, embed 256, hidden 512,
 * 1 layer, vocabulary 2700) on ONE core, against the same search written in PyTorch CPU
 * (Debian python3-torch, 1 thread) on the same random weights and features, in the same run.
 *
 * Random weights rarely emit <end>, so every caption runs the full 20 words: a worst case
 * (trained decoders stop after ~10–12 words on Flickr8k). Both sides must produce the same
 * captions; the line says how many agreed.
 *
 * Figures (one JSON line each; load_avg_1m says how busy the machine was):
 *   decode-beam3-single    one photo at a time (latency)
 *   decode-beam3-batched   all photos in one call (how the library captions a folder)
 *   decode-greedy-single   one photo at a time
 *   decode-beam3-single-reference-backend   the same through model.ts's DecoderStepModel, to
 *                          show what the onnx step model (the default of loadDecoder) buys
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { beamSearch, greedyDecode, type Caption } from '../src/inference/decode.js';
import { OnnxStepModel } from '../src/inference/onnx-step-model.js';
import { setGemmThreads } from '../src/training/matmul.js';
import { DecoderStepModel, initParams, paramShapes } from '../src/training/model.js';
import { Rng } from '../src/training/rng.js';
import { encodeSafetensors, type TensorInput } from '../src/training/safetensors.js';
import type { DecoderConfig, StepModel } from '../src/training/types.js';

const images = Number(process.argv[2]) || 24;
const MAX_LENGTH = 20;
const BEAM = 3;
const config: DecoderConfig = { featureDim: 1664, embedDim: 256, hiddenDim: 512, layers: 1, vocabSize: 2700, dropout: 0 };
const D = config.featureDim;

process.env.LENSCRIBE_THREADS = '1';
setGemmThreads(1);
const params = initParams(config, 1);
const rng = new Rng(7);
const features = Float32Array.from({ length: images * D }, () => rng.normal());
const vocab = { size: config.vocabSize, decode: (ids: ArrayLike<number>) => Array.from(ids).join(' ') };
const model = new OnnxStepModel(params, { threads: 1 });

type Search = (m: StepModel, f: Float32Array, n: number) => Caption[];
const beam: Search = (m, f, n) => beamSearch(m, vocab, f, n, { beamWidth: BEAM, maxLength: MAX_LENGTH }).map((l) => l[0]!);
const greedy: Search = (m, f, n) => greedyDecode(m, vocab, f, n, { maxLength: MAX_LENGTH });

/** Median over `reps` runs of (ms per caption) for one-at-a-time or all-at-once captioning. */
function measure(search: Search, batched: boolean, reps: number, m: StepModel = model): { ms: number; captions: Caption[] } {
  let captions: Caption[] = [];
  const run = () => {
    if (batched) return search(m, features, images);
    const out: Caption[] = [];
    for (let i = 0; i < images; i++) out.push(search(m, features.subarray(i * D, (i + 1) * D), 1)[0]!);
    return out;
  };
  run(); // warm-up
  const times: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t = performance.now();
    captions = run();
    times.push((performance.now() - t) / images);
  }
  times.sort((a, b) => a - b);
  return { ms: times[Math.floor(times.length / 2)]!, captions };
}

const ours = {
  beamSingle: measure(beam, false, 3),
  beamBatched: measure(beam, true, 3),
  greedySingle: measure(greedy, false, 3),
  // model.ts's DecoderStepModel over the shared matmul module (weights repacked every call).
  beamSingleReference: measure(beam, false, 1, new DecoderStepModel(params)),
};

// --- PyTorch: the same model and the same shrinking-beam search, 1 thread.
const PEER = String.raw`
import json, struct, sys, time
import numpy as np, torch
torch.set_num_threads(1)
path, images, beam_k, max_len, reps = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
raw = open(path, 'rb').read()
(n,) = struct.unpack('<Q', raw[:8]); header = json.loads(raw[8:8 + n]); header.pop('__metadata__', None); data = raw[8 + n:]
T = {k: torch.from_numpy(np.frombuffer(data[v['data_offsets'][0]:v['data_offsets'][1]], dtype='<f4').reshape(v['shape']).copy()) for k, v in header.items()}
feats = T['features']; D = feats.shape[1]; H = T['Wh_0'].shape[0]; V = T['b_vocab'].shape[0]
PAD, START, END, UNK = 0, 1, 2, 3
mask = torch.zeros(V); mask[[PAD, START, UNK]] = float('-inf')
mask_first = mask.clone(); mask_first[END] = float('-inf')   # minLength 1

def init_state(f):
    h = torch.tanh(((f - T['feature_mean']) / T['feature_std']) @ T['W_proj'] + T['b_proj'])
    return h, torch.zeros_like(h)

def step(h, c, tokens):
    a = T['W_embed'][tokens] @ T['Wx_0'] + h @ T['Wh_0'] + T['b_0']
    i, f, o, g = a.split(H, dim=1)
    c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
    h = torch.sigmoid(o) * torch.tanh(c)
    return h, c, torch.log_softmax(h @ T['W_vocab'] + T['b_vocab'], dim=1)

def score(lp, words, ended, alpha=0.7):
    return lp / (words + (1 if ended else 0)) ** alpha

def beam_search(f, k):
    n = f.shape[0]
    h, c = init_state(f)
    live = [[([], 0.0, i)] for i in range(n)]
    finished = [[] for _ in range(n)]
    tokens = torch.full((n,), START, dtype=torch.long)
    for t in range(max_len):
        h, c, logp = step(h, c, tokens)
        logp = logp + (mask_first if t == 0 else mask)
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
        idx = torch.tensor(rows); h, c = h[idx], c[idx]; tokens = torch.tensor(words)
    return [max(fs, key=lambda x: score(x[1], len(x[0]), x[2]))[0] for fs in finished]

def greedy(f):
    n = f.shape[0]
    h, c = init_state(f)
    out = [[] for _ in range(n)]; alive = list(range(n))
    tokens = torch.full((n,), START, dtype=torch.long)
    for t in range(max_len):
        h, c, logp = step(h, c, tokens)
        best = torch.argmax(logp + (mask_first if t == 0 else mask), dim=1).tolist()
        keep = []
        for r, w in enumerate(best):
            if w != END:
                out[alive[r]].append(w); keep.append(r)
        if not keep:
            break
        idx = torch.tensor(keep); h, c = h[idx], c[idx]; tokens = torch.tensor([best[r] for r in keep]); alive = [alive[r] for r in keep]
    return out

def measure(fn, batched):
    def run():
        if batched: return fn(feats)
        return [fn(feats[i:i + 1])[0] for i in range(images)]
    run()
    times = []
    for _ in range(reps):
        t0 = time.perf_counter(); caps = run(); times.append((time.perf_counter() - t0) * 1000 / images)
    times.sort()
    return times[len(times) // 2], caps

with torch.inference_mode():
    res = {}
    for name, fn, batched in [('beamSingle', lambda f: beam_search(f, beam_k), False), ('beamBatched', lambda f: beam_search(f, beam_k), True), ('greedySingle', greedy, False)]:
        ms, caps = measure(fn, batched)
        res[name] = {'ms': ms, 'captions': caps}
    res['torch'] = torch.__version__
    print(json.dumps(res))
`;

const python = findTorchPython();
const dir = mkdtempSync(join(tmpdir(), 'lenscribe-bench-decode-'));
const file = join(dir, 'weights.safetensors');
const tensors: Record<string, TensorInput> = { features: { shape: [images, D], data: features } };
for (const [name, shape] of Object.entries(paramShapes(config))) tensors[name] = { shape, data: params[name]! };
writeFileSync(file, encodeSafetensors(tensors));
const peer = spawnSync(python, ['-c', PEER, file, String(images), String(BEAM), String(MAX_LENGTH), '3'], {
  encoding: 'utf8',
  env: { ...process.env, OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1' },
  maxBuffer: 64 << 20,
});
rmSync(dir, { recursive: true, force: true });
if (peer.status !== 0) {
  console.error(peer.stderr);
  process.exit(1);
}
type Key = keyof typeof ours;
const theirs = JSON.parse(peer.stdout.trim().split('\n').at(-1)!) as Record<Exclude<Key, 'beamSingleReference'>, { ms: number; captions: number[][] }> & { torch: string };

const label: Record<Key, string> = {
  beamSingle: 'decode-beam3-single',
  beamBatched: 'decode-beam3-batched',
  greedySingle: 'decode-greedy-single',
  beamSingleReference: 'decode-beam3-single-reference-backend',
};
for (const key of Object.keys(ours) as Key[]) {
  const o = ours[key];
  const p = theirs[key === 'beamSingleReference' ? 'beamSingle' : key];
  const same = o.captions.filter((c, i) => c.tokens.join(' ') === (p.captions[i] ?? []).join(' ')).length;
  const words = o.captions.reduce((s, c) => s + c.tokens.length, 0) / o.captions.length;
  console.log(
    JSON.stringify({
      bench: label[key],
      ms_per_caption: round(o.ms, 2),
      peer: 'pytorch',
      peer_ms_per_caption: round(p.ms, 2),
      ratio: round(p.ms / o.ms, 3), // > 1: Lenscribe is faster
      ...(key.startsWith('beam') ? { limit_ms: 10 } : {}),
      load_avg_1m: round(loadavg()[0]!, 1),
      backend: key === 'beamSingleReference' ? 'model.ts DecoderStepModel' : 'OnnxStepModel',
      images,
      batch: key === 'beamBatched' ? images : 1,
      mean_words: round(words, 1),
      same_captions: `${same}/${images}`,
      threads: 1,
      arch: { feature: D, embed: config.embedDim, hidden: config.hiddenDim, vocab: config.vocabSize, max_length: MAX_LENGTH },
      peer_version: theirs.torch,
    }),
  );
}

function findTorchPython(): string {
  for (const py of ['/usr/bin/python3', 'python3']) {
    if (spawnSync(py, ['-c', 'import torch, numpy'], { stdio: 'ignore' }).status === 0) return py;
  }
  console.error('PyTorch missing: installing Debian python3-torch');
  const r = spawnSync('apt-get', ['install', '-y', 'python3-torch'], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error('could not install python3-torch with apt-get');
  return '/usr/bin/python3';
}

function round(x: number, digits = 1): number {
  const k = 10 ** digits;
  return Math.round(x * k) / k;
}
