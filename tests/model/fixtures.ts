/** Small decoders and caption batches for the decoder's tests (real parameters, random data). */
import { castParams, initParams, type CaptionBatch } from '../../src/model/decoder.js';
import { Rng } from '../../src/model/rng.js';
import { END, PAD, START, type DecoderConfig, type Params } from '../../src/model/types.js';

export const tinyConfig: DecoderConfig = { featureDim: 6, embedDim: 4, hiddenDim: 5, layers: 2, vocabSize: 9, dropout: 0 };

/** N captions of varying length (at least one full-length), word ids in [4, V). */
export function randomBatch(config: DecoderConfig, N: number, T: number, seed: number): CaptionBatch<Float64Array> {
  const rng = new Rng(seed);
  const features = new Float64Array(N * config.featureDim);
  for (let i = 0; i < features.length; i++) features[i] = rng.normal() * 2 + 0.5;
  const captions = new Int32Array(N * T).fill(PAD);
  for (let n = 0; n < N; n++) {
    const words = n === 0 ? T - 2 : 1 + rng.int(T - 2);
    captions[n * T] = START;
    for (let k = 1; k <= words; k++) captions[n * T + k] = 4 + rng.int(config.vocabSize - 4);
    captions[n * T + words + 1] = END;
  }
  return { features, captions, n: N, t: T };
}

/** float64 parameters with non-trivial feature statistics and biases. */
export function tinyParams(config: DecoderConfig, seed: number): Params<Float64Array> {
  const rng = new Rng(seed + 1000);
  const D = config.featureDim;
  const mean = new Float32Array(D).map(() => rng.normal() * 0.3);
  const std = new Float32Array(D).map(() => 0.5 + rng.uniform());
  const p = castParams(initParams(config, seed, { featureMean: mean, featureStd: std }), 'float64');
  for (const k of Object.keys(p)) if (k.startsWith('b_')) for (let i = 0; i < p[k].length; i++) p[k][i] += rng.normal() * 0.1;
  return p;
}
