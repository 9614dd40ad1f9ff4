/**
 * `npm run bench -- train [rounds] [iters per round]`: training throughput of the caption decoder against PyTorch
 * CPU on the same synthetic batch and architecture (embed 256, hidden 512, 1 layer, vocab 2700,
 * batch 128, captions of up to 20 tokens), both on 2 threads, in the same run. Then inference:
 * milliseconds per caption for beam search of width 3 on 1 core.
 * Prints one JSON line per figure. Arguments: [rounds=5] [iterations per round=3]; the two
 * sides take turns round by round and each side's median round is reported, so a busy shared
 * machine slows both alike.
 *
 * The peer is Debian's python3-torch at its best (bench/lib/torch-peer.ts installs it and
 * libopenblas0-pthread when missing): it runs on OpenBLAS through LD_LIBRARY_PATH set for the
 * peer process alone, not `update-alternatives --set`, so nothing changes on the shared machine
 * whatever the alternatives point libblas.so.3 at. The line's "peer_blas" is what the peer
 * measured in its own process (library, OpenBLAS core, GFLOP/s of a 1024² float32 matmul) and
 * the OpenBLAS kernels tried for it ("kernel_choice": OPENBLAS_CORETYPE for the peer alone). Against
 * a reference BLAS (or wrong or untuned products) the bench refuses: "ratio": null, a "refused"
 * reason, the peer not timed, exit code 1.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setGemmThreads } from '../src/model/matmul.js';
import { initParams, lossAndGrads, createStepModel } from '../src/model/decoder.js';
import { adamStep, clipGradNorm, createAdamState } from '../src/training/optim.js';
import { Rng } from '../src/model/rng.js';
import { END, PAD, START, type DecoderConfig, type StepModel } from '../src/model/types.js';
import { blasRefusal, ensureTorchPeer, torchPeerEnv, type PeerBlas } from './lib/torch-peer.js';

/** Rounds of `perRound` iterations, each side in turn; the figure is each side's median round. */
const rounds = Number(process.argv[2]) || 5;
const perRound = Number(process.argv[3]) || 3;
const warmup = 2;
const [N, D, T, V, W, H] = [128, 1280, 20, 2700, 256, 512];
const config: DecoderConfig = { featureDim: D, embedDim: W, hiddenDim: H, layers: 1, vocabSize: V, dropout: 0 };

// The synthetic batch: random features, captions of 8–18 words (so up to 20 tokens with <start>/<end>).
const rng = new Rng(42);
const features = new Float32Array(N * D).map(() => rng.normal());
const captions = new Int32Array(N * T).fill(PAD);
for (let n = 0; n < N; n++) {
  const words = n === 0 ? T - 2 : 8 + rng.int(11);
  captions[n * T] = START;
  for (let k = 1; k <= words; k++) captions[n * T + k] = 4 + rng.int(V - 4);
  captions[n * T + words + 1] = END;
}
let tokens = 0;
for (let n = 0; n < N; n++) for (let t = 1; t < T; t++) if (captions[n * T + t] !== PAD) tokens++;

// --- Lenscribe
setGemmThreads(2);
const params = initParams(config, 1);
const adam = createAdamState();
const batch = { features, captions, n: N, t: T };
const stepOurs = () => {
  const r = lossAndGrads(params, batch);
  clipGradNorm(r.grads, 5);
  adamStep(params, r.grads, adam, 1e-3);
  return r.loss;
};
for (let i = 0; i < warmup; i++) stepOurs();

// --- PyTorch, started once and driven line by line
const torchPeer = ensureTorchPeer();
const { env: peerEnv, kernelChoice } = torchPeerEnv(torchPeer, 2);
const dir = mkdtempSync(join(tmpdir(), 'lenscribe-bench-'));
const file = join(dir, 'batch.bin');
writeFileSync(file, Buffer.concat([Buffer.from(features.buffer), Buffer.from(captions.buffer)]));
const peerScript = fileURLToPath(new URL('./train-peer.py', import.meta.url));
const peer = spawn(torchPeer.python, [peerScript, file, ...[N, D, T, V, W, H, warmup].map(String)], {
  stdio: ['pipe', 'pipe', 'inherit'],
  env: peerEnv,
});
const lines = createInterface({ input: peer.stdout! })[Symbol.asyncIterator]();
const nextLine = async () => {
  const r = await lines.next();
  if (r.done) throw new Error('the PyTorch peer exited early');
  return JSON.parse(r.value) as Record<string, unknown>;
};
const ready = await nextLine();
if (ready.tokens !== tokens) throw new Error(`peer counts ${ready.tokens} tokens, we count ${tokens}`);
const peerBlas: PeerBlas | undefined = ready.blas
  ? { ...(ready.blas as PeerBlas), ...(kernelChoice ? { kernel_choice: kernelChoice } : {}) }
  : undefined;
const refused = blasRefusal(peerBlas);
if (refused) console.error(`bench train: no ratio: ${refused}`);

const ours: number[] = [];
const theirs: number[] = [];
let ourLoss = 0;
let peerLast: Record<string, unknown> = {};
for (let r = 0; r < rounds; r++) {
  const t0 = performance.now();
  for (let i = 0; i < perRound; i++) ourLoss = stepOurs();
  ours.push((performance.now() - t0) / 1000);
  if (refused) continue; // a peer on a reference BLAS is not worth minutes of timing
  peer.stdin!.write(`${perRound}\n`);
  peerLast = await nextLine();
  theirs.push(peerLast.seconds as number);
}
peer.stdin!.end();
rmSync(dir, { recursive: true, force: true });
const ourTps = (tokens * perRound) / median(ours);
const peerTps = refused ? null : (tokens * perRound) / median(theirs);
const orNull = (x: number | null, digits = 1) => (x === null ? null : round(x, digits));
console.log(
  JSON.stringify({
    bench: 'train',
    tokens_per_s: round(ourTps),
    peer: 'pytorch',
    peer_tokens_per_s: orNull(peerTps),
    ratio: peerTps === null ? null : round(ourTps / peerTps, 3),
    ...(refused ? { refused } : {}),
    peak_rss_mb: round(process.resourceUsage().maxRSS / 1024),
    peer_peak_rss_mb: orNull((peerLast.peak_rss_mb as number | undefined) ?? null),
    threads: 2,
    batch: N,
    tokens_per_batch: tokens,
    rounds,
    iters_per_round: perRound,
    loss_after: round(ourLoss, 4),
    peer_loss_after: orNull((peerLast.loss as number | undefined) ?? null, 4),
    peer_version: ready.torch,
    peer_threads: ready.threads,
    peer_blas: peerBlas ?? null,
  }),
);
if (refused) process.exitCode = 1;

// --- Inference: beam 3 on one core
setGemmThreads(1);
await benchInference();

async function benchInference(): Promise<void> {
  const decodePath = new URL('../src/model/decode.ts', import.meta.url);
  if (!existsSync(fileURLToPath(decodePath))) {
    console.log(JSON.stringify({ bench: 'decode-beam3', skipped: 'src/model/decode.ts does not exist yet' }));
    return;
  }
  const decode = (await import(decodePath.href)) as Record<string, unknown>;
  type Beam = (
    model: unknown,
    vocab: unknown,
    features: Float32Array,
    n: number,
    opts: Record<string, unknown>,
  ) => Array<Array<{ tokens: number[] }>>;
  const beamSearch = decode.beamSearch as Beam | undefined;
  if (typeof beamSearch !== 'function') {
    console.log(JSON.stringify({ bench: 'decode-beam3', skipped: 'src/model/decode.ts has no beamSearch export' }));
    return;
  }
  // Untrained weights rarely emit <end>, so captions run long: ms_per_step is the stable figure.
  const vocab = { size: V, decode: (ids: ArrayLike<number>) => Array.from(ids).join(' ') };
  const images = 20;
  const opts = { beamWidth: 3, maxLength: 20 };
  for (const int8 of [false, true]) {
    const inner = createStepModel(params, { int8 });
    let steps = 0;
    const model: StepModel = {
      vocabSize: inner.vocabSize,
      initState: (f, n) => inner.initState(f, n),
      step: (state, tokens) => (steps++, inner.step(state, tokens)),
      selectRows: (state, rows) => inner.selectRows(state, rows),
    };
    for (let i = 0; i < 3; i++) beamSearch(model, vocab, features.subarray(0, D), 1, opts);
    steps = 0;
    let s = performance.now();
    let words = 0;
    for (let i = 0; i < images; i++) words += beamSearch(model, vocab, features.subarray(i * D, (i + 1) * D), 1, opts)[0][0].tokens.length;
    const one = (performance.now() - s) / images;
    const stepsPerCaption = steps / images;
    s = performance.now();
    beamSearch(model, vocab, features.subarray(0, images * D), images, opts);
    const batched = (performance.now() - s) / images;
    console.log(
      JSON.stringify({
        bench: 'decode-beam3',
        weights: int8 ? 'int8' : 'float32',
        ms_per_caption: round(one, 2),
        ms_per_step: round(one / stepsPerCaption, 3),
        steps_per_caption: stepsPerCaption,
        ms_per_caption_batched_20: round(batched, 2),
        mean_words: round(words / images, 1),
        threads: 1,
        hidden: H,
        vocab: V,
        max_length: 20,
        limit_ms: 10,
      }),
    );
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function round(x: number, digits = 1): number {
  const k = 10 ** digits;
  return Math.round(x * k) / k;
}
