import { cpSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadCard, encoderDir } from '../../src/inference/encoder/card.js';
import { FLICKR8K_CREDIT, encoderFileRef, loadModel, loadModelDir, writeModelDir, type ManifestInput } from '../../src/model/model-dir.js';
import { CONFIG_FILE, VOCAB_FILE, WEIGHTS_FILE, saveDecoder } from '../../src/model/decoder-io.js';
import { initParams } from '../../src/model/decoder.js';
import type { DecoderConfig } from '../../src/model/types.js';
import { Vocabulary } from '../../src/model/vocab.js';

const card = loadCard('mobilenet_v2');
const encoderPath = join(encoderDir('mobilenet_v2'), card.file);
let dir: string;

function manifestFor(modelDir: string, config: DecoderConfig): ManifestInput {
  return {
    name: 'test',
    encoder: {
      name: card.name,
      file: encoderFileRef(modelDir, encoderPath),
      sha256: card.sha256,
      input: { name: card.input.name, size: card.input.size, layout: 'NHWC', dtype: 'uint8' },
      preprocessing: card.preprocessing,
    },
    features: { outputs: [{ name: 'block_10_expand_relu', dims: [384] }], dim: 384 },
    decoder: { architecture: 'show-and-tell-lstm', config, weights: WEIGHTS_FILE, vocabulary: VOCAB_FILE, maxLength: 16 },
    decoding: { beam: 3 },
    training: { data: FLICKR8K_CREDIT, command: 'lenscribe train …' },
    metrics: { split: 'hash split 0.05', images: 1, bleu1: 0.5, bleu2: 0.3, bleu3: 0.2, bleu4: 0.1, rouge_l: 0.4, cider: 0.2 },
  };
}

function freshModel(): string {
  const d = mkdtempSync(join(tmpdir(), 'lenscribe-modeldir-'));
  const vocab = Vocabulary.build(['a dog runs on the grass', 'a dog sits', 'the grass is green'], { minCount: 1 });
  const config: DecoderConfig = { featureDim: 384, embedDim: 8, hiddenDim: 16, layers: 1, vocabSize: vocab.size, dropout: 0 };
  saveDecoder(d, {
    config,
    params: initParams(config, 7),
    vocab,
    feature: { encoder: card.name, outputs: ['block_10_expand_relu'], dim: 384 },
  });
  writeModelDir(d, manifestFor(d, config), [CONFIG_FILE]);
  return d;
}

beforeAll(() => {
  dir = freshModel();
});

describe('model directory', () => {
  it('writes model.json with the sha256 of every file and loads it back', () => {
    const m = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
    expect(m.format).toBe('lenscribe-model');
    expect(Object.keys(m.files).sort()).toEqual([CONFIG_FILE, VOCAB_FILE, WEIGHTS_FILE].sort());
    for (const f of Object.values(m.files) as Array<{ sha256: string }>) expect(f.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(m.training.data.citation).toMatch(/Hodosh, P. Young and J. Hockenmaier \(2013\).*47:853–899/);
    expect(m.date).toMatch(/^\d{4}-\d\d-\d\dT/);
    // A model outside Lenscribe's models folder names a bundled encoder relative to that folder.
    expect(m.encoder.file).toBe('models:encoders/mobilenet_v2/encoder.onnx');
    const loaded = loadModel(dir);
    expect(loaded.encoderPath).toBe(encoderPath);
    expect(loaded.decoder.config.featureDim).toBe(384);
    expect(loaded.manifest.metrics?.cider).toBe(0.2);
  });

  it('refuses a file whose bytes changed, naming the file and both hashes', () => {
    const d = freshModel();
    const p = join(d, VOCAB_FILE);
    const text = readFileSync(p, 'utf8');
    writeFileSync(p, text.replace('"dog"', '"cat"'));
    expect(() => loadModelDir(d)).toThrow(/vocab\.json has sha256 [0-9a-f]{64}, model\.json says [0-9a-f]{64} \(corrupt or replaced\)/);
    rmSync(d, { recursive: true });
  });

  it('refuses a truncated or missing file', () => {
    const d = freshModel();
    truncateSync(join(d, WEIGHTS_FILE), 100);
    expect(() => loadModelDir(d)).toThrow(/weights\.safetensors is 100 bytes, model\.json says \d+ \(truncated or replaced\?\)/);
    rmSync(join(d, WEIGHTS_FILE));
    expect(() => loadModelDir(d)).toThrow(/weights\.safetensors is missing/);
    rmSync(d, { recursive: true });
  });

  it('refuses a different encoder, a newer format and an inconsistent manifest', () => {
    const d = freshModel();
    const m = JSON.parse(readFileSync(join(d, 'model.json'), 'utf8'));
    // Point at InceptionV3 while claiming MobileNetV2's hash.
    const other = JSON.parse(JSON.stringify(m));
    other.encoder.file = encoderFileRef(d, join(encoderDir('inception_v3'), 'encoder.onnx'));
    writeFileSync(join(d, 'model.json'), JSON.stringify(other));
    expect(() => loadModelDir(d)).toThrow(/encoder .*inception_v3\/encoder\.onnx has sha256 [0-9a-f]{64}, model\.json says 788027b5/);
    writeFileSync(join(d, 'model.json'), JSON.stringify({ ...m, version: 99 }));
    expect(() => loadModelDir(d)).toThrow(/version 99 is newer than this Lenscribe understands/);
    writeFileSync(join(d, 'model.json'), JSON.stringify({ ...m, features: { ...m.features, dim: 1280 } }));
    expect(() => loadModelDir(d)).toThrow(/"features.dim" is 1280 but the outputs add up to 384/);
    // A decoding setting the decoder cannot use is refused at load, not on every caption batch.
    for (const decoding of [
      { beam: 0 },
      { beam: 3, noRepeatNgram: '3' },
      { beam: 3, noRepeatNgram: -1 },
      { beam: 3, noRepeatNgram: 1.5 },
    ]) {
      writeFileSync(join(d, 'model.json'), JSON.stringify({ ...m, decoding }));
      expect(() => loadModelDir(d)).toThrow(/"decoding\.(beam|noRepeatNgram)" must be an integer/);
    }
    writeFileSync(join(d, 'model.json'), JSON.stringify({ ...m, decoding: { beam: 3, noRepeatNgram: 3 } }));
    expect(loadModelDir(d).manifest.decoding).toEqual({ beam: 3, noRepeatNgram: 3 });
    writeFileSync(join(d, 'model.json'), '{ not json');
    expect(() => loadModelDir(d)).toThrow(/model.json is not valid JSON/);
    expect(() => loadModelDir(join(d, 'nope'))).toThrow(/directory does not exist/);
    rmSync(d, { recursive: true });
  });

  it('accepts an encoder inside the directory (bring your own) and hashes it with the rest', () => {
    const d = freshModel();
    cpSync(encoderPath, join(d, 'encoder.onnx'));
    const m = JSON.parse(readFileSync(join(d, 'model.json'), 'utf8'));
    const input: ManifestInput = { ...m, encoder: { ...m.encoder, file: 'encoder.onnx' } };
    delete (input as Record<string, unknown>).files;
    const written = writeModelDir(d, input, [CONFIG_FILE]);
    expect(written.files['encoder.onnx']?.sha256).toBe(card.sha256);
    expect(loadModelDir(d).encoderPath).toBe(join(d, 'encoder.onnx'));
    rmSync(d, { recursive: true });
  });
});
