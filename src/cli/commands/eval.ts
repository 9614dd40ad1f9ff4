/**
 * `lenscribe eval --data <captions> [--model <dir>] [--beam k] [--json]`: captions every photo of
 * a captioned dataset with a model and scores the captions against the human ones, as the
 * coco-caption toolkit defines the metrics (src/training/metrics). With --json the last line is
 * exactly {"images","bleu1","bleu2","bleu3","bleu4","rouge_l","cider"}; BLEU and ROUGE-L on a
 * 0–1 scale, CIDEr-D on coco's scale (can exceed 1).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { UserError } from '../../shared/errors.js';
import { defaultModelDir } from '../../shared/paths.js';
import { encoderDir, openEncoder, ENCODER_NAMES } from '../../inference/encoder/index.js';
import { loadDataset, splitByHash, splitDeclared } from '../../training/datasets.js';
import { decoderCaptioner, evaluateCaptioner } from '../../training/metrics/evaluate.js';
import { loadModel } from '../../model/model-dir.js';
import { featuresFor, logDatasetProblems } from '../dataset-features.js';
import { formatScores, parseNumber, StatusLine } from '../ui.js';

interface EvalCliOptions {
  data: string;
  model?: string;
  images?: string;
  beam?: string;
  blockNgram?: string;
  split: string;
  valFraction: string;
  limit?: string;
  cache?: string;
  threads?: string;
  captions?: string;
  json?: boolean;
}

export async function runEval(opts: EvalCliOptions): Promise<void> {
  const status = new StatusLine();
  const modelDir = resolve(opts.model ?? defaultModelDir);
  const model = loadModel(modelDir);
  const m = model.manifest;
  const beam = opts.beam !== undefined ? Number(opts.beam) : m.decoding.beam;
  if (!Number.isInteger(beam) || beam < 1 || beam > 20) throw new UserError(`--beam must be an integer from 1 to 20; got "${opts.beam}"`);
  const noRepeatNgram = opts.blockNgram !== undefined ? Number(opts.blockNgram) : (m.decoding.noRepeatNgram ?? 0);
  if (!Number.isInteger(noRepeatNgram) || noRepeatNgram < 0 || noRepeatNgram > 10)
    throw new UserError(`--block-ngram must be an integer from 0 to 10; got "${opts.blockNgram}"`);
  const limit = opts.limit !== undefined ? parseNumber(opts.limit, '--limit', { int: true, min: 1 }) : Infinity;

  // The photos: the whole dataset, or one side of a split.
  const ds = loadDataset(opts.data, opts.images ? { imagesDir: opts.images } : {});
  logDatasetProblems(ds, status);
  let images = ds.images;
  if (opts.split === 'val' || opts.split === 'train') {
    const s = splitByHash(images, Number(opts.valFraction));
    images = opts.split === 'val' ? s.val : s.train;
  } else if (opts.split === 'declared-val' || opts.split === 'declared-test') {
    const s = splitDeclared(images);
    images = opts.split === 'declared-val' ? s.val : s.test;
  } else if (opts.split !== 'all') {
    throw new UserError(`--split must be all, val, train, declared-val or declared-test; got "${opts.split}"`);
  }
  if (Number.isFinite(limit)) images = images.slice(0, limit);
  if (images.length === 0) throw new UserError('no photos to evaluate');

  // The encoder the model was trained with (its sha256 was checked by loadModel).
  const encName = m.encoder.name;
  const cardPath = join(encoderDir(encName), 'card.json');
  const card = existsSync(cardPath) ? (JSON.parse(readFileSync(cardPath, 'utf8')) as { file?: string }) : undefined;
  if (!card?.file || resolve(encoderDir(encName), card.file) !== model.encoderPath) {
    throw new UserError(
      `model ${modelDir} uses encoder ${m.encoder.file}; the encoder runtime opens encoders from models/encoders/<name>/ with a card.json (bundled: ${ENCODER_NAMES.join(', ')}); see docs/model-format.md`,
    );
  }
  const threads = opts.threads !== undefined ? Number(opts.threads) : undefined;
  const encoder = await openEncoder({ name: encName, ...(threads !== undefined ? { threads } : {}), log: (line) => status.log(line) });
  let f;
  try {
    f = await featuresFor(
      encoder,
      images,
      m.features.outputs.map((o) => o.name),
      opts.cache,
      status,
      'features',
      m.features.flipAverage ? 'average' : 'none',
    );
  } finally {
    await encoder.close();
  }
  if (f.dim !== m.features.dim) throw new UserError(`features are ${f.dim}-d but the model expects ${m.features.dim}`);
  if (f.kept.length === 0) throw new UserError('no photo could be read');

  status.update(`captioning ${f.kept.length} photos (beam ${beam}) …`, true);
  const captioner = decoderCaptioner(model.decoder.model, model.decoder.vocab, f.dim, {
    beam,
    maxWords: m.decoder.maxLength,
    noRepeatNgram,
  });
  const result = await evaluateCaptioner(
    captioner,
    f.features,
    f.kept.length,
    f.kept.map((i) => i.captions),
  );
  status.done();
  if (opts.captions) {
    const lines = f.kept.map((img, i) => JSON.stringify({ file: img.path, caption: result.captions[i], references: img.captions }));
    writeFileSync(opts.captions, `${lines.join('\n')}\n`);
  }
  const s = result.scores;
  if (opts.json) {
    process.stdout.write(
      `${JSON.stringify({ images: s.images, bleu1: s.bleu1, bleu2: s.bleu2, bleu3: s.bleu3, bleu4: s.bleu4, rouge_l: s.rouge_l, cider: s.cider })}\n`,
    );
  } else {
    process.stdout.write(formatScores(s, `${m.name}: ${s.images} photos, beam ${beam}`));
  }
  if (f.failures > 0) process.exitCode = 2;
}

export function registerEval(program: Command): void {
  program
    .command('eval')
    .description('caption every photo of a captioned dataset and score against its captions (BLEU-1..4, ROUGE-L, CIDEr-D)')
    .requiredOption('--data <file>', 'captions: our .jsonl ({"file","captions"}), Flickr8k.token.txt, or a Karpathy-split JSON')
    .option('--model <dir>', 'model directory (default: the bundled models/default)')
    .option('--images <dir>', 'folder holding the photos (default: next to the captions file)')
    .option('--beam <k>', "beam width (default: the model's)")
    .option(
      '--block-ngram <n>',
      "block repeated n-grams (and one word on both sides of and/or) while decoding, 0 = off (default: the model's)",
    )
    .option('--split <which>', 'all | val | train (hash split, --val-fraction) | declared-val | declared-test (Karpathy JSON)', 'all')
    .option('--val-fraction <f>', 'for --split val/train: the fraction used in training', '0.05')
    .option('--limit <n>', 'only the first n photos')
    .option('--cache <dir>', 'feature cache folder (default: the user cache folder)')
    .option('--threads <n>', 'encoder threads (0 = all cores)')
    .option('--captions <file>', "also write each photo's caption and references as jsonl")
    .option('--json', 'last line: {"images","bleu1","bleu2","bleu3","bleu4","rouge_l","cider"}')
    .action(async (opts: EvalCliOptions) => {
      await runEval(opts);
    });
}
