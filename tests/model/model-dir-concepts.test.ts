/** model.json records a decoder's conceptDim, and loading checks it against the decoder's own config. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCard, encoderDir } from '../../src/inference/encoder/card.js';
import { FLICKR8K_CREDIT, encoderFileRef, loadModel, writeModelDir, type ManifestInput } from '../../src/model/model-dir.js';
import { CONFIG_FILE, VOCAB_FILE, WEIGHTS_FILE, saveDecoder } from '../../src/model/decoder-io.js';
import { initParams } from '../../src/model/decoder.js';
import type { DecoderConfig } from '../../src/model/types.js';
import { Vocabulary } from '../../src/model/vocab.js';

const card = loadCard('mobilenet_v2');
const encoderPath = join(encoderDir('mobilenet_v2'), card.file);

function modelWith(config: DecoderConfig, manifestConfig: DecoderConfig = config): string {
  const d = mkdtempSync(join(tmpdir(), 'lenscribe-modeldir-concepts-'));
  const vocab = Vocabulary.fromWords(Array.from({ length: config.vocabSize - 4 }, (_, i) => `w${i}`));
  saveDecoder(d, { config, params: initParams(config, 7), vocab, feature: { encoder: card.name, dim: config.featureDim } });
  const input: ManifestInput = {
    name: 'test',
    encoder: {
      name: card.name,
      file: encoderFileRef(d, encoderPath),
      sha256: card.sha256,
      input: { name: card.input.name, size: card.input.size, layout: 'NHWC', dtype: 'uint8' },
      preprocessing: card.preprocessing,
    },
    features: { outputs: [{ name: 'block_10_expand_relu', dims: [384] }], dim: 384 },
    decoder: { architecture: 'show-and-tell-lstm', config: manifestConfig, weights: WEIGHTS_FILE, vocabulary: VOCAB_FILE, maxLength: 16 },
    decoding: { beam: 3 },
    training: { data: FLICKR8K_CREDIT, command: 'lenscribe train …' },
  };
  writeModelDir(d, input, [CONFIG_FILE]);
  return d;
}

const plain: DecoderConfig = { featureDim: 384, embedDim: 8, hiddenDim: 16, layers: 1, vocabSize: 10, dropout: 0 };

describe('model directory with concepts', () => {
  it('records conceptDim when K > 0 and not when K = 0, and loads both', () => {
    const withConcepts = modelWith({ ...plain, conceptDim: 12 });
    expect(JSON.parse(readFileSync(join(withConcepts, 'model.json'), 'utf8')).decoder.config.conceptDim).toBe(12);
    expect(loadModel(withConcepts).decoder.model.conceptDim).toBe(12);
    const without = modelWith({ ...plain, conceptDim: 0 });
    expect(JSON.parse(readFileSync(join(without, 'model.json'), 'utf8')).decoder.config).not.toHaveProperty('conceptDim');
    expect(loadModel(without).decoder.config).not.toHaveProperty('conceptDim');
  });

  it('refuses a model.json whose conceptDim differs from the decoder`s', () => {
    const d = modelWith({ ...plain, conceptDim: 12 }, plain);
    expect(() => loadModel(d)).toThrow(/config.json has conceptDim 12 but model.json says 0/);
    const m = JSON.parse(readFileSync(join(d, 'model.json'), 'utf8'));
    m.decoder.config.conceptDim = 12;
    writeFileSync(join(d, 'model.json'), JSON.stringify(m));
    expect(loadModel(d).decoder.config.conceptDim).toBe(12);
  });
});
