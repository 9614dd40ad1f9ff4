/**
 * Builds models/encoders/<name>/encoder.onnx from the installed nsfwjs package, and writes
 * the model cards (card.json + card.md) that pin the expected sha256 of each file.
 * The .onnx files are generated (not committed); the cards are committed.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NETWORKS, SCALING, convertNetwork, type ConvertedNetwork } from './networks.js';
import type { EncoderCard } from '../card.js';

export interface BuildResult {
  name: string;
  status: 'up-to-date' | 'built' | 'built-sha-mismatch' | 'card-written';
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
 * For every network: keep encoder.onnx if its sha256 matches the card, else convert it.
 * `writeCards` (re)writes card.json/card.md from the conversion (for maintainers after a
 * converter or nsfwjs change); otherwise a sha256 that differs from the card is reported.
 */
export function buildEncoders({ modelsDir, writeCards = false, names = Object.keys(NETWORKS) }: { modelsDir: string; writeCards?: boolean; names?: string[] }): BuildResult[] {
  const results: BuildResult[] = [];
  for (const name of names) {
    const dir = join(modelsDir, 'encoders', name);
    const onnxPath = join(dir, 'encoder.onnx');
    const card = readCard(dir);
    if (!writeCards && card && existsSync(onnxPath) && sha256File(onnxPath) === card.sha256) {
      results.push({ name, status: 'up-to-date', sha256: card.sha256, path: onnxPath });
      continue;
    }
    const converted = convertNetwork(name);
    const sha256 = createHash('sha256').update(converted.bytes).digest('hex');
    mkdirSync(dir, { recursive: true });
    // Write-then-rename: an interrupted build never leaves a half-written model behind.
    const tmp = `${onnxPath}.${process.pid}.tmp`;
    writeFileSync(tmp, converted.bytes);
    renameSync(tmp, onnxPath);
    if (writeCards) {
      const newCard = makeCard(converted, sha256);
      writeFileSync(join(dir, 'card.json'), `${JSON.stringify(newCard, null, 2)}\n`);
      writeFileSync(join(dir, 'card.md'), cardMarkdown(newCard));
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
  mobilenet_v2: 'nsfwjs feeds x/255, but its head agrees better with x/127.5−1 (the ImageNet scaling of the lower blocks): on 200 Flickr8k photos Neutral wins 200/200 (mean P 0.979) vs 193/200 (0.918) with x/255.',
  inception_v3: 'nsfwjs feeds x/255; on 200 Flickr8k photos the head cannot tell the scalings apart (Neutral wins 195/200 either way, mean P 0.951 vs 0.960), so the ImageNet scaling of the lower blocks is kept.',
};

export function makeCard(c: ConvertedNetwork, sha256: string): EncoderCard {
  return {
    name: c.spec.name,
    architecture: c.spec.architecture,
    file: 'encoder.onnx',
    sha256,
    bytes: c.bytes.length,
    source: {
      package: c.source.package,
      version: c.source.version,
      files: `node_modules/${c.source.package}/dist/models/${c.source.model}/{model.min.js,group1-shard*.min.js}`,
      format: `Keras ${c.source.kerasVersion} layers model, uint8-quantized weights (dequantized to float32: q·scale + min)`,
    },
    licence: 'MIT',
    credit: 'Weights from nsfwjs by Infinite Red (MIT, https://github.com/infinitered/nsfwjs); lower blocks keep the Keras ImageNet weights. Converted to ONNX by Lenscribe.',
    converter: 'src/inference/encoder/convert (BatchNormalization folded into convolutions; float32 weights)',
    layers: c.layerCount,
    input: {
      name: 'pixels',
      dtype: 'uint8',
      layout: 'NHWC',
      shape: ['N', c.inputSize[0], c.inputSize[1], 3],
      size: c.inputSize[0],
    },
    preprocessing: {
      orientation: 'EXIF auto-orientation',
      colour: 'sRGB, 8-bit; alpha flattened on white',
      resize: `decoded once (JPEG shrink-on-load) to a short side of max(${c.inputSize[0]}, 320) px, then squashed to ${c.inputSize[0]}×${c.inputSize[1]} without keeping aspect ratio (sharp fit: 'fill', Lanczos3)`,
      scaling: `inside the graph: x / ${SCALING.divide} − ${SCALING.subtract} (Keras preprocess_input, mode 'tf')`,
      note: SCALING_NOTE[c.spec.name] ?? '',
    },
    outputs: c.spec.outputs.map((o) => ({ name: o.name, role: o.role, layer: o.layer, kind: o.kind, dims: c.outputDims[o.name], description: o.description })),
    opset: 13,
  };
}

function cardMarkdown(card: EncoderCard): string {
  const rows = card.outputs.map((o) => `| \`${o.name}\` | ${o.role} | \`${o.layer}\` | ${o.dims.join('×')} | ${o.description} |`).join('\n');
  return `# Encoder: ${card.architecture} (\`${card.name}\`)

Image encoder for Lenscribe's caption decoder, run with onnxruntime-node.

- **Source**: npm \`${card.source.package}@${card.source.version}\`, ${card.source.files} — ${card.source.format}.
- **Licence**: ${card.licence}. ${card.credit}
- **Conversion**: ${card.converter}, ONNX opset ${card.opset}. The file is generated during \`npm ci\`
  (\`scripts/build-encoders.mjs\`) and not committed; a test regenerates it and checks the sha256.
- **sha256** of \`${card.file}\` (${card.bytes} bytes): \`${card.sha256}\`
- **Layers** converted: ${card.layers} Keras layers (the nsfwjs classifier head is left out).

## Input
\`${card.input.name}\`: ${card.input.dtype} ${card.input.layout} [${card.input.shape.join(', ')}], RGB 0–255.

Preprocessing (done by src/inference/encoder/preprocess.ts): ${card.preprocessing.orientation}; ${card.preprocessing.colour};
${card.preprocessing.resize}; ${card.preprocessing.scaling}.

${card.preprocessing.note}

## Outputs
| name | role | Keras layer | dims (per image) | what |
|---|---|---|---|---|
${rows}
`;
}
