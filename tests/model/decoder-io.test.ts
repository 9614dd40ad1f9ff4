import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  CONFIG_FILE,
  DECODER_FORMAT_VERSION,
  loadDecoder,
  ModelFileError,
  readDecoderConfig,
  saveDecoder,
  VOCAB_FILE,
  WEIGHTS_FILE,
  type DecoderBundle,
} from '../../src/model/decoder-io.js';
import { initParams, paramShapes } from '../../src/model/decoder.js';
import { Rng } from '../../src/model/rng.js';
import { decodeSafetensors, encodeSafetensors } from '../../src/model/safetensors.js';
import { START, type DecoderConfig } from '../../src/model/types.js';
import { Vocabulary } from '../../src/model/vocab.js';

const tmp = mkdtempSync(join(tmpdir(), 'lenscribe-modelio-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let dirs = 0;
const newDir = () => join(tmp, `d${++dirs}`);

function bundle(seed: number): DecoderBundle {
  const vocab = Vocabulary.build(['a dog runs on the grass', 'a brown dog sits', 'the grass is green', "a child's red ball"], {
    minCount: 1,
  });
  const config: DecoderConfig = { featureDim: 12, embedDim: 6, hiddenDim: 8, layers: 2, vocabSize: vocab.size, dropout: 0.1 };
  const rng = new Rng(seed);
  const params = initParams(config, seed, {
    featureMean: Float32Array.from({ length: 12 }, () => rng.normal()),
    featureStd: Float32Array.from({ length: 12 }, () => 0.5 + rng.uniform()),
  });
  params.b_vocab![3] = -0; // bit patterns that a sloppy round trip would lose
  params.b_vocab![4] = 1e-42;
  return {
    config,
    params,
    vocab,
    feature: {
      encoder: 'mobilenet_v2',
      encoderId: 'mobilenet_v2@788027b53856f594',
      outputs: ['out_relu'],
      dim: 12,
      preprocessing: { resize: 'fill 224' },
    },
    training: { dataset: 'unit test', epochs: 3, seed },
  };
}

const bits = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('hex');

function expectSame(loaded: DecoderBundle, b: DecoderBundle): void {
  expect(loaded.config).toEqual(b.config);
  expect(Object.keys(loaded.params).sort()).toEqual(Object.keys(b.params).sort());
  for (const k of Object.keys(b.params)) expect(bits(loaded.params[k]!)).toBe(bits(b.params[k]!));
  expect(loaded.vocab.words).toEqual(b.vocab.words);
  expect(loaded.feature).toEqual(b.feature);
  expect(loaded.training).toEqual(b.training);
}

function loadError(dir: string): ModelFileError {
  try {
    loadDecoder(dir);
  } catch (e) {
    expect(e).toBeInstanceOf(ModelFileError);
    return e as ModelFileError;
  }
  throw new Error('loadDecoder succeeded');
}

/** Replaces the weights with a file another tool might write, keeping config.json's record in step. */
function rewriteWeights(dir: string, edit: (h: Record<string, { shape: number[]; data: Float32Array | Float64Array }>) => void): void {
  const { tensors } = decodeSafetensors(readFileSync(join(dir, WEIGHTS_FILE)));
  const t = Object.fromEntries([...tensors].map(([k, v]) => [k, { shape: v.shape, data: v.data }]));
  edit(t);
  const bytes = encodeSafetensors(t);
  writeFileSync(join(dir, WEIGHTS_FILE), bytes);
  rehash(dir, WEIGHTS_FILE);
}

function rehash(dir: string, name: string): void {
  const bytes = readFileSync(join(dir, name));
  const cfg = JSON.parse(readFileSync(join(dir, CONFIG_FILE), 'utf8'));
  cfg.files[name] = { bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
  writeFileSync(join(dir, CONFIG_FILE), JSON.stringify(cfg));
}

describe('decoder directory I/O', () => {
  it('round-trips bit-exactly and gives a working step model', () => {
    const b = bundle(1);
    const dir = newDir();
    saveDecoder(dir, b);
    expect(readdirSync(dir).sort()).toEqual([CONFIG_FILE, VOCAB_FILE, WEIGHTS_FILE].sort());
    const cfg = readDecoderConfig(dir);
    expect(cfg.formatVersion).toBe(DECODER_FORMAT_VERSION);
    expect(cfg.files[WEIGHTS_FILE].sha256).toMatch(/^[0-9a-f]{64}$/);
    const loaded = loadDecoder(dir);
    expectSame(loaded, b);
    expect(loaded.dir).toBe(dir);
    // The weights are in the canonical order and shapes of decoder.ts.
    const { tensors, metadata } = decodeSafetensors(readFileSync(join(dir, WEIGHTS_FILE)));
    for (const [k, shape] of Object.entries(paramShapes(b.config))) expect(tensors.get(k)!.shape).toEqual(shape);
    expect(JSON.parse(metadata.decoder_config!)).toEqual(b.config);
    // Saved and loaded models compute the same log-probabilities.
    const feats = Float32Array.from({ length: 24 }, (_, i) => Math.sin(i));
    const s = loaded.model.initState(feats, 2);
    const logp = loaded.model.step(s, new Int32Array([START, START]));
    expect(logp.length).toBe(2 * b.config.vocabSize);
    expect(Math.abs([...logp.subarray(0, b.config.vocabSize)].reduce((x, y) => x + Math.exp(y), 0) - 1)).toBeLessThan(1e-5);
    // The default (onnx) and the reference backend agree.
    const ref = loadDecoder(dir, { backend: 'reference' }).model;
    const r = ref.step(ref.initState(feats, 2), new Int32Array([START, START]));
    for (let i = 0; i < r.length; i++) expect(Math.abs(r[i]! - logp[i]!)).toBeLessThan(1e-4);
  });

  it('saves over a previous save, leaving other files alone and no temporary files', () => {
    const dir = newDir();
    saveDecoder(dir, bundle(1));
    writeFileSync(join(dir, 'notes.txt'), 'mine');
    const b2 = bundle(2);
    b2.vocab.addWords(['labrador']);
    b2.config = { ...b2.config, vocabSize: b2.vocab.size };
    b2.params = initParams(b2.config, 2);
    saveDecoder(dir, b2);
    expectSame(loadDecoder(dir), b2);
    expect(readdirSync(dir).sort()).toEqual([CONFIG_FILE, 'notes.txt', VOCAB_FILE, WEIGHTS_FILE].sort());
  });

  it('refuses to save an inconsistent bundle before writing anything', () => {
    const dir = newDir();
    const b = bundle(1);
    expect(() => saveDecoder(dir, { ...b, config: { ...b.config, vocabSize: b.config.vocabSize + 1 } })).toThrow(
      /vocabulary has \d+ words but config.vocabSize/,
    );
    const missing = { ...b.params };
    delete missing.Wh_1;
    expect(() => saveDecoder(dir, { ...b, params: missing })).toThrow(/parameter Wh_1 is missing/);
    expect(() => saveDecoder(dir, { ...b, params: { ...b.params, extra: new Float32Array(1) } })).toThrow(/unexpected parameter extra/);
    expect(() => saveDecoder(dir, { ...b, feature: { ...b.feature, dim: 99 } })).toThrow(/feature.dim 99 differs/);
    const nan = { ...b.params, b_proj: b.params.b_proj!.slice() };
    nan.b_proj[2] = Infinity;
    expect(() => saveDecoder(dir, { ...b, params: nan })).toThrow(/parameter b_proj holds a non-finite value \(Infinity\) at index 2/);
    expect(existsSync(dir)).toBe(false);
  });

  describe('refuses a bad directory with an error naming the file and the problem', () => {
    const fresh = () => {
      const d = newDir();
      saveDecoder(d, bundle(3));
      return d;
    };
    it('missing directory or config', () => {
      expect(loadError(join(tmp, 'nowhere')).message).toMatch(/nowhere: decoder directory not found/);
      const d = fresh();
      rmSync(join(d, CONFIG_FILE));
      expect(loadError(d).message).toMatch(/config\.json: not found; is this a Lenscribe decoder directory\?/);
    });
    it('a newer format version', () => {
      const d = fresh();
      const cfg = JSON.parse(readFileSync(join(d, CONFIG_FILE), 'utf8'));
      writeFileSync(join(d, CONFIG_FILE), JSON.stringify({ ...cfg, formatVersion: DECODER_FORMAT_VERSION + 1 }));
      expect(loadError(d).message).toMatch(
        /config\.json: decoder format version 2 is newer than this Lenscribe reads \(1\); update Lenscribe/,
      );
    });
    it('a broken or inconsistent config', () => {
      const d = fresh();
      const text = readFileSync(join(d, CONFIG_FILE), 'utf8');
      writeFileSync(join(d, CONFIG_FILE), text.slice(0, 40));
      expect(loadError(d).message).toMatch(/config\.json: not valid JSON/);
      const cfg = JSON.parse(text);
      writeFileSync(join(d, CONFIG_FILE), JSON.stringify({ ...cfg, decoder: { ...cfg.decoder, hiddenDim: 0 } }));
      expect(loadError(d).message).toMatch(/config\.json: decoder config: hiddenDim must be a positive integer/);
      writeFileSync(join(d, CONFIG_FILE), JSON.stringify({ ...cfg, feature: { ...cfg.feature, dim: 5 } }));
      expect(loadError(d).message).toMatch(/feature\.dim 5 differs from decoder\.featureDim 12/);
    });
    it('truncated weights', () => {
      const d = fresh();
      const size = readFileSync(join(d, WEIGHTS_FILE)).length;
      truncateSync(join(d, WEIGHTS_FILE), size - 50);
      expect(loadError(d).message).toMatch(/weights\.safetensors: is \d+ bytes but config\.json records \d+; truncated/);
      // …and even with the record updated, the format check names the problem.
      rehash(d, WEIGHTS_FILE);
      expect(loadError(d).message).toMatch(/weights\.safetensors: tensor \S+: data_offsets .* point past the end of the data/);
    });
    it('a flipped byte', () => {
      const d = fresh();
      const bytes = readFileSync(join(d, WEIGHTS_FILE));
      bytes[bytes.length - 5] ^= 0x10;
      writeFileSync(join(d, WEIGHTS_FILE), bytes);
      expect(loadError(d).message).toMatch(/weights\.safetensors: content does not match the sha256 in config\.json/);
    });
    it('a missing parameter, an extra one, a wrong shape, a wrong dtype, a NaN', () => {
      let d = fresh();
      rewriteWeights(d, (t) => delete t.Wx_1);
      expect(loadError(d).message).toMatch(/weights\.safetensors: parameter Wx_1 is missing/);
      d = fresh();
      rewriteWeights(d, (t) => (t.momentum = { shape: [2], data: new Float32Array(2) }));
      expect(loadError(d).message).toMatch(/unexpected tensor momentum/);
      d = fresh();
      rewriteWeights(d, (t) => (t.W_vocab = { shape: [t.W_vocab!.shape[1]!, t.W_vocab!.shape[0]!], data: t.W_vocab!.data }));
      expect(loadError(d).message).toMatch(/parameter W_vocab has shape \[\d+, 8\], the config implies \[8, \d+\]/);
      d = fresh();
      rewriteWeights(d, (t) => (t.b_proj = { shape: t.b_proj!.shape, data: Float64Array.from(t.b_proj!.data) }));
      expect(loadError(d).message).toMatch(/parameter b_proj is F64, expected F32/);
      d = fresh();
      rewriteWeights(d, (t) => (t.Wh_0!.data[7] = NaN));
      expect(loadError(d).message).toMatch(/parameter Wh_0 holds a non-finite value \(NaN\) at index 7/);
    });
    it('a vocabulary that does not match the config', () => {
      const d = fresh();
      const v = Vocabulary.load(join(d, VOCAB_FILE));
      v.addWords(['extra']);
      writeFileSync(join(d, VOCAB_FILE), v.serialize());
      rehash(d, VOCAB_FILE);
      expect(loadError(d).message).toMatch(/vocab\.json: has \d+ words but config\.json says vocabSize \d+/);
      writeFileSync(join(d, VOCAB_FILE), '{"format":"lenscribe-vocab","version":1,"words":["<pad>"]}');
      rehash(d, VOCAB_FILE);
      expect(loadError(d).message).toMatch(/vocab\.json: id 1 must be <start>/);
    });
  });

  describe('interrupted saves', () => {
    it('rolls forward a save whose commit record is complete', () => {
      const dir = newDir();
      const old = bundle(4);
      saveDecoder(dir, old);
      const staged = newDir();
      const next = bundle(5);
      saveDecoder(staged, next);
      // Crash after config.json.partial was written and weights were renamed, before the rest.
      copyFileSync(join(staged, WEIGHTS_FILE), join(dir, WEIGHTS_FILE));
      copyFileSync(join(staged, VOCAB_FILE), join(dir, VOCAB_FILE + '.partial'));
      copyFileSync(join(staged, CONFIG_FILE), join(dir, CONFIG_FILE + '.partial'));
      const before = readdirSync(dir).sort();
      expectSame(loadDecoder(dir), next);
      expect(readdirSync(dir).sort()).toEqual(before); // loading changes nothing
      // The next save finishes the interrupted one first, then writes its own.
      const third = bundle(8);
      saveDecoder(dir, third);
      expectSame(loadDecoder(dir), third);
      expect(readdirSync(dir).some((f) => f.endsWith('.partial'))).toBe(false);
    });
    it('discards a save interrupted before its commit record was complete', () => {
      const dir = newDir();
      const old = bundle(6);
      saveDecoder(dir, old);
      const staged = newDir();
      saveDecoder(staged, bundle(7));
      copyFileSync(join(staged, WEIGHTS_FILE), join(dir, WEIGHTS_FILE + '.partial'));
      writeFileSync(join(dir, CONFIG_FILE + '.partial'), readFileSync(join(staged, CONFIG_FILE), 'utf8').slice(0, 100));
      expectSame(loadDecoder(dir), old);
      saveDecoder(dir, bundle(9));
      expectSame(loadDecoder(dir), bundle(9));
      expect(readdirSync(dir).some((f) => f.endsWith('.partial'))).toBe(false);
    });

    it('is read consistently while another process saves, and survives that process being killed (SIGKILL) at random moments', async () => {
      const dir = newDir();
      const modelIo = new URL('../../src/model/decoder-io.ts', import.meta.url).href;
      const modelTs = new URL('../../src/model/decoder.ts', import.meta.url).href;
      const vocabTs = new URL('../../src/model/vocab.ts', import.meta.url).href;
      // A saver that alternates between two parameter sets (seed 0 and seed 1) forever.
      const script = join(tmp, 'saver.ts');
      writeFileSync(
        script,
        `
import { saveDecoder } from '${modelIo}';
import { initParams } from '${modelTs}';
import { Vocabulary } from '${vocabTs}';
const vocab = Vocabulary.fromWords(Array.from({ length: 300 }, (_, i) => 'w' + i));
const config = { featureDim: 64, embedDim: 32, hiddenDim: 64, layers: 1, vocabSize: vocab.size, dropout: 0 };
const sets = [initParams(config, 0), initParams(config, 1)];
for (let i = 0; ; i++) {
  saveDecoder(process.argv[2], { config, params: sets[i % 2], vocab, feature: { encoder: 'x', dim: 64 }, training: { seed: i % 2 } });
  if (i === 0) process.stdout.write('saved\\n');
}
`,
      );
      const { initParams: init } = await import('../../src/model/decoder.js');
      const expected = [0, 1].map((s) =>
        bits(init({ featureDim: 64, embedDim: 32, hiddenDim: 64, layers: 1, vocabSize: 304, dropout: 0 }, s).W_vocab!),
      );
      const rng = new Rng(99);
      for (let round = 0; round < 4; round++) {
        const child = spawn(process.execPath, ['--import', 'tsx', script, dir], { stdio: ['ignore', 'pipe', 'inherit'] });
        const exited = new Promise((r) => child.once('exit', r));
        try {
          await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
          // Readers see one complete save or the other while the writer keeps saving.
          for (let i = 0; i < 5; i++) {
            const seen = loadDecoder(dir, { backend: 'reference' });
            expect(bits(seen.params.W_vocab!)).toBe(expected[seen.training!.seed as number]);
            await new Promise((r) => setTimeout(r, rng.int(30)));
          }
        } finally {
          child.kill('SIGKILL');
          await exited;
        }
        const loaded = loadDecoder(dir);
        const seed = loaded.training!.seed as number;
        expect(bits(loaded.params.W_vocab!)).toBe(expected[seed]);
      }
    }, 60_000);
  });
});
