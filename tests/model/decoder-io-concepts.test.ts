/** Saving and loading a decoder with concept input, and a decoder without one staying as it was. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CONFIG_FILE, loadDecoder, saveDecoder, WEIGHTS_FILE, type DecoderBundle } from '../../src/model/decoder-io.js';
import { initParams } from '../../src/model/decoder.js';
import { decodeSafetensors } from '../../src/model/safetensors.js';
import type { DecoderConfig } from '../../src/model/types.js';
import { Vocabulary } from '../../src/model/vocab.js';

const tmp = mkdtempSync(join(tmpdir(), 'lenscribe-concepts-io-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function bundle(conceptDim?: number): DecoderBundle {
  const vocab = Vocabulary.build(['a dog runs on the grass', 'a cat sits'], { minCount: 1 });
  const config: DecoderConfig = { featureDim: 12, embedDim: 6, hiddenDim: 8, layers: 2, vocabSize: vocab.size, dropout: 0.1 };
  if (conceptDim !== undefined) config.conceptDim = conceptDim;
  return { config, params: initParams(config, 5), vocab, feature: { encoder: 'mobilenet_v2', dim: 12 } };
}

describe('decoder directory with concepts', () => {
  it('stores W_concept and conceptDim, and loads them back for both step models', () => {
    const dir = join(tmp, 'k5');
    const b = bundle(5);
    saveDecoder(dir, b);
    const cfg = JSON.parse(readFileSync(join(dir, CONFIG_FILE), 'utf8'));
    expect(cfg.decoder.conceptDim).toBe(5);
    const { tensors } = decodeSafetensors(readFileSync(join(dir, WEIGHTS_FILE)), 'w');
    expect(tensors.get('W_concept')!.shape).toEqual([5, 16]);
    for (const backend of ['onnx', 'reference'] as const) {
      const loaded = loadDecoder(dir, { backend });
      expect(loaded.config.conceptDim).toBe(5);
      expect(Array.from(loaded.params.W_concept!)).toEqual(Array.from(b.params.W_concept!));
      expect(loaded.model.conceptDim).toBe(5);
    }
  });

  it('a decoder without concepts (K absent or 0) is written without conceptDim or W_concept and loads with K = 0', () => {
    for (const K of [undefined, 0]) {
      const dir = join(tmp, `plain-${K}`);
      saveDecoder(dir, bundle(K));
      const cfg = JSON.parse(readFileSync(join(dir, CONFIG_FILE), 'utf8'));
      expect(Object.keys(cfg.decoder)).toEqual(['featureDim', 'embedDim', 'hiddenDim', 'layers', 'vocabSize', 'dropout']);
      const { tensors, metadata } = decodeSafetensors(readFileSync(join(dir, WEIGHTS_FILE)), 'w');
      expect(tensors.has('W_concept')).toBe(false);
      expect(JSON.parse(metadata.decoder_config)).not.toHaveProperty('conceptDim');
      const loaded = loadDecoder(dir, { backend: 'reference' });
      expect(loaded.config).not.toHaveProperty('conceptDim');
      expect(loaded.model.conceptDim ?? 0).toBe(0);
    }
  });

  it('refuses a bundle whose W_concept is missing', () => {
    const b = bundle(3);
    delete b.params.W_concept;
    expect(() => saveDecoder(join(tmp, 'bad'), b)).toThrow(/parameter W_concept is missing/);
  });
});
