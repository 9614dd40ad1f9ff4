/**
 * `lenscribe eval --data <captions> [--model <dir>] [--beam k] [--json]`: captions every photo of
 * a captioned dataset with a model and scores the captions against the human ones: BLEU-1..4,
 * ROUGE-L and CIDEr-D as the coco-caption toolkit defines them, and object hallucination
 * (CHAIR-s, CHAIR-i) with consensus-object recall over the 80 COCO categories
 * (src/training/metrics). With --json the last line is exactly
 * {"images","bleu1","bleu2","bleu3","bleu4","rouge_l","cider","chair_s","chair_i","consensus_recall"};
 * all on a 0–1 scale except CIDEr-D (coco's scale, can exceed 1); consensus_recall is null when
 * no photo has an object 3 references name.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { UserError } from '../../shared/errors.js';
import { defaultModelDir } from '../../shared/paths.js';
import { encoderDir, openEncoder, ENCODER_NAMES } from '../../inference/encoder/index.js';
import { loadDataset, splitByHash, splitDeclared, type CaptionedImage } from '../../training/datasets.js';
import { decoderCaptioner, evaluateCaptioner, type EvaluationResult } from '../../training/metrics/evaluate.js';
import { photoObjects, type ObjectScores } from '../../training/metrics/chair.js';
import { loadModel, storedOutputNames, storedRowInputs } from '../../model/model-dir.js';
import { checkGuidanceSettings, MAX_REQUIRED, MAX_SOFT_VETO_WEIGHT, type GuidanceSettings } from '../../model/concepts/concept-guidance.js';
import { featureDistance } from '../../model/unfamiliar.js';
import { featuresFor, logDatasetProblems, type PhotoFeatures } from '../dataset-features.js';
import { gridOutputOf, photoGrids } from '../train-grid.js';
import { formatScores, jsonLine, parseNumber, printable, StatusLine, withExample } from '../ui.js';

/** A model directory with its decoder, as loadModel returns it (files and sha256 checked). */
type LoadedModel = ReturnType<typeof loadModel>;

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
  /** false with --no-guide. */
  guide?: boolean;
  /** false with --no-unfamiliar. */
  unfamiliar?: boolean;
  requireAbove?: string;
  maxRequired?: string;
  vetoBelow?: string;
  softVeto?: string;
}

/**
 * Guided decoding for eval: the model's (decoding.guidance); replaced by --require-above,
 * --max-required and --veto-below (a setting of those three alone, the rest taken from the
 * model's: no per-object vetoes or requirement thresholds, no unfamiliar limit; they turn it on for a concept model without
 * it); without its unfamiliar limit with --no-unfamiliar; with --soft-veto's weight in place of
 * the model's; off with --no-guide. null: unguided.
 */
export function evalGuidance(opts: EvalCliOptions, model: LoadedModel): GuidanceSettings | null {
  const g = withSoftVeto(opts, evalGuidanceSettings(opts, model));
  if (!g || opts.unfamiliar !== false) return g;
  const { unfamiliarAbove: _u, ...rest } = g;
  return rest;
}

function withSoftVeto(opts: EvalCliOptions, g: GuidanceSettings | null): GuidanceSettings | null {
  if (opts.softVeto === undefined) return g;
  if (!g) throw new UserError('--soft-veto needs guided decoding: a model with concept input, and no --no-guide');
  const softVetoWeight = parseNumber(opts.softVeto, '--soft-veto', { min: 0, max: MAX_SOFT_VETO_WEIGHT });
  return { ...g, softVetoWeight };
}

function evalGuidanceSettings(opts: EvalCliOptions, model: LoadedModel): GuidanceSettings | null {
  if (opts.guide === false) return null;
  const given = opts.requireAbove ?? opts.maxRequired ?? opts.vetoBelow;
  const base = model.manifest.decoding.guidance;
  if (given === undefined) return base ?? null;
  if (!model.decoder.config.conceptDim)
    throw new UserError('--require-above, --max-required and --veto-below need a model with concept input');
  const s: GuidanceSettings = {
    requireAbove:
      opts.requireAbove !== undefined ? parseNumber(opts.requireAbove, '--require-above', { min: 0, max: 1 }) : (base?.requireAbove ?? 1),
    maxRequired:
      opts.maxRequired !== undefined
        ? parseNumber(opts.maxRequired, '--max-required', { int: true, min: 0, max: MAX_REQUIRED })
        : (base?.maxRequired ?? 0),
    vetoBelow: opts.vetoBelow !== undefined ? parseNumber(opts.vetoBelow, '--veto-below', { min: 0, max: 1 }) : (base?.vetoBelow ?? 0),
  };
  try {
    checkGuidanceSettings(s);
  } catch (e) {
    throw new UserError((e as Error).message);
  }
  return s;
}

/** " (own threshold for n objects)" where a setting has per-object thresholds. */
function ownThresholds(byObject: Readonly<Record<string, number>> | undefined): string {
  const n = Object.keys(byObject ?? {}).length;
  return n > 0 ? ` (own threshold for ${n} object${n === 1 ? '' : 's'})` : '';
}

/** The photos to evaluate: the whole dataset, or one side of a split, at most `limit`. */
export function selectImages(ds: { images: CaptionedImage[] }, split: string, valFraction: number, limit = Infinity): CaptionedImage[] {
  let images = ds.images;
  if (split === 'val' || split === 'train') {
    const s = splitByHash(images, valFraction);
    images = split === 'val' ? s.val : s.train;
  } else if (split === 'declared-val' || split === 'declared-test') {
    const s = splitDeclared(images);
    images = split === 'declared-val' ? s.val : s.test;
  } else if (split !== 'all') {
    throw new UserError(`--split must be all, val, train, declared-val or declared-test; got "${split}"`);
  }
  if (Number.isFinite(limit)) images = images.slice(0, limit);
  if (images.length === 0) throw new UserError('no photos to evaluate');
  return images;
}

/**
 * The photos' stored vectors with the encoder the model was trained with (its sha256 was checked
 * by loadModel), read once: the features, and for a decoder with concept input the concept scores
 * of the output the model records.
 */
export async function modelFeatures(
  model: LoadedModel,
  modelDir: string,
  images: CaptionedImage[],
  options: { cache?: string | undefined; threads?: number | undefined; status: StatusLine; grid?: boolean },
): Promise<{ features: PhotoFeatures; concepts?: Float32Array; grid?: Float32Array }> {
  const m = model.manifest;
  const encName = m.encoder.name;
  const cardPath = join(encoderDir(encName), 'card.json');
  const card = existsSync(cardPath) ? (JSON.parse(readFileSync(cardPath, 'utf8')) as { file?: string }) : undefined;
  if (!card?.file || resolve(encoderDir(encName), card.file) !== model.encoderPath) {
    throw new UserError(
      `model ${modelDir} uses encoder ${m.encoder.file}; the encoder runtime opens encoders from models/encoders/<name>/ with a card.json (bundled: ${ENCODER_NAMES.join(', ')}); see docs/model-format.md`,
    );
  }
  const K = model.decoder.config.conceptDim ?? 0;
  if (K > 0 && !m.features.conceptOutput)
    throw new UserError(`model ${modelDir} reads concept scores but its model.json names no features.conceptOutput`);
  const { status } = options;
  if (K > 0) status.log(`concepts: ${K} scores per photo, ${encName}'s ${m.features.conceptOutput} output`);
  const encoder = await openEncoder({
    name: encName,
    ...(options.threads !== undefined ? { threads: options.threads } : {}),
    log: (line) => status.log(line),
  });
  let f;
  let grid: Float32Array | undefined;
  try {
    const outputs = storedOutputNames(m.features);
    f = await featuresFor(encoder, images, outputs, options.cache, status, 'features', m.features.flipAverage ? 'average' : 'none');
    // An attending decoder also reads each photo's spatial grid.
    if (m.features.gridOutput && options.grid !== false && f.kept.length > 0) {
      const g = gridOutputOf(encoder, m.features.gridOutput);
      status.log(`grid: ${g.cells} cells × ${g.dim} per photo, ${encName}'s ${g.name} output (the decoder's attention)`);
      grid = await photoGrids(encoder, f.kept, g, options.cache, status, 'grids   ');
    }
  } finally {
    await encoder.close();
  }
  if (f.dim !== m.features.dim + K) throw new UserError(`features are ${f.dim - K}-d but the model expects ${m.features.dim}`);
  if (f.kept.length === 0) throw new UserError('no photo could be read');
  const withGrid = grid ? { grid } : {};
  if (K === 0) return { features: f, ...withGrid };
  const x = storedRowInputs(f.features, f.kept.length, m.features.dim, K);
  return { features: { ...f, features: x.features, dim: m.features.dim }, ...(x.concepts ? { concepts: x.concepts } : {}), ...withGrid };
}

export interface ModelEvaluation {
  model: LoadedModel;
  beam: number;
  noRepeatNgram: number;
  guidance: GuidanceSettings | null;
  /** The photos' features (rows aligned to `features.kept`, the photos that could be read). */
  features: PhotoFeatures;
  result: EvaluationResult;
}

/** Caption the photos with a loaded model (its encoder, its decoding unless overridden) and score every metric. */
export async function evaluateModel(options: {
  model: LoadedModel;
  modelDir: string;
  images: CaptionedImage[];
  beam?: number | undefined;
  noRepeatNgram?: number | undefined;
  /** Guided decoding; undefined: the model's (decoding.guidance), null: none. */
  guidance?: GuidanceSettings | null | undefined;
  cache?: string | undefined;
  threads?: number | undefined;
  status: StatusLine;
}): Promise<ModelEvaluation> {
  const { model, modelDir, status } = options;
  const m = model.manifest;
  const beam = options.beam ?? m.decoding.beam;
  const noRepeatNgram = options.noRepeatNgram ?? m.decoding.noRepeatNgram ?? 0;
  const { features: f, concepts, grid } = await modelFeatures(model, modelDir, options.images, options);
  const guidance = concepts ? (options.guidance === undefined ? (m.decoding.guidance ?? null) : options.guidance) : null;
  status.update(`captioning ${f.kept.length} photos (beam ${beam}${guidance ? ', guided' : ''}) …`, true);
  const captioner = decoderCaptioner(model.decoder.model, model.decoder.vocab, f.dim, {
    beam,
    maxWords: m.decoder.maxLength,
    noRepeatNgram,
    guidance,
  });
  const references = f.kept.map((i) => i.captions);
  const result = await evaluateCaptioner(captioner, f.features, f.kept.length, references, concepts, grid);
  status.done();
  if (guidance?.unfamiliarAbove !== undefined) {
    const stats = { mean: model.decoder.params.feature_mean!, std: model.decoder.params.feature_std! };
    const far = featureDistance(f.features, f.kept.length, stats).filter((d) => d > guidance.unfamiliarAbove!).length;
    status.log(
      `unfamiliar: ${far} of ${f.kept.length} photos described from their concept scores alone (distance above ${guidance.unfamiliarAbove})`,
    );
  }
  return { model, beam, noRepeatNgram, guidance, features: f, result };
}

/** The object figures under the coco-caption ones, with the counts behind each. */
export function formatObjectScores(o: ObjectScores): string {
  const recall = o.consensus_recall === null ? 'n/a   ' : o.consensus_recall.toFixed(4);
  return (
    `  CHAIR-s ${o.chair_s.toFixed(4)}  (captions naming an object no reference names: ${o.hallucinating_captions} of ${o.images})\n` +
    `  CHAIR-i ${o.chair_i.toFixed(4)}  (object mentions no reference names: ${o.hallucinated_mentions} of ${o.object_mentions})\n` +
    `  consensus-object recall ${recall}  (objects >= 3 references name, named: ${o.consensus_named} of ${o.consensus_objects})\n`
  );
}

/** --captions: each photo's caption, references, and the COCO objects read from them. */
function writeCaptionsFile(file: string, kept: CaptionedImage[], captions: string[]): void {
  const lines = kept.map((img, i) => {
    const p = photoObjects(captions[i]!, img.captions);
    return JSON.stringify({
      file: img.path,
      caption: captions[i],
      references: img.captions,
      objects: p.named,
      hallucinated: p.hallucinated,
      consensus: p.consensus,
    });
  });
  writeFileSync(file, `${lines.join('\n')}\n`);
}

export async function runEval(opts: EvalCliOptions): Promise<void> {
  const status = new StatusLine();
  const beam = opts.beam !== undefined ? Number(opts.beam) : undefined;
  if (beam !== undefined && (!Number.isInteger(beam) || beam < 1 || beam > 20))
    throw new UserError(`--beam must be an integer from 1 to 20; got "${opts.beam}"`);
  const noRepeatNgram = opts.blockNgram !== undefined ? Number(opts.blockNgram) : undefined;
  if (noRepeatNgram !== undefined && (!Number.isInteger(noRepeatNgram) || noRepeatNgram < 0 || noRepeatNgram > 10))
    throw new UserError(`--block-ngram must be an integer from 0 to 10; got "${opts.blockNgram}"`);
  const limit = opts.limit !== undefined ? parseNumber(opts.limit, '--limit', { int: true, min: 1 }) : Infinity;
  const modelDir = resolve(opts.model ?? defaultModelDir);
  const model = loadModel(modelDir); // a broken model is reported before the dataset is read

  const ds = loadDataset(opts.data, opts.images ? { imagesDir: opts.images } : {});
  logDatasetProblems(ds, status);
  const images = selectImages(ds, opts.split, Number(opts.valFraction), limit);
  const threads = opts.threads !== undefined ? Number(opts.threads) : undefined;
  const guidance = evalGuidance(opts, model);
  const e = await evaluateModel({ model, modelDir, images, beam, noRepeatNgram, guidance, cache: opts.cache, threads, status });
  const { result, features: f } = e;
  if (opts.captions) writeCaptionsFile(opts.captions, f.kept, result.captions);
  const s = result.scores;
  const o = result.objects;
  if (opts.json) {
    const { images: n, bleu1, bleu2, bleu3, bleu4, rouge_l, cider } = s;
    const line = {
      images: n,
      bleu1,
      bleu2,
      bleu3,
      bleu4,
      rouge_l,
      cider,
      chair_s: o.chair_s,
      chair_i: o.chair_i,
      consensus_recall: o.consensus_recall,
    };
    process.stdout.write(jsonLine(line));
  } else {
    const guided = e.guidance
      ? `, guided (require >= ${e.guidance.requireAbove}${ownThresholds(e.guidance.requireAboveByObject)} up to ${e.guidance.maxRequired}, veto < ${e.guidance.vetoBelow}${ownThresholds(e.guidance.vetoBelowByObject)}${e.guidance.softVetoWeight ? `, soft veto ${e.guidance.softVetoWeight}` : ''}${e.guidance.exclusiveAnimals ? ', animals as rivals' : ''})`
      : '';
    process.stdout.write(
      formatScores(s, `${printable(e.model.manifest.name)}: ${s.images} photos, beam ${e.beam}${guided}`) + formatObjectScores(o),
    );
  }
  if (f.failures > 0) process.exitCode = 2;
}

export function registerEval(program: Command): void {
  const evalCmd = program
    .command('eval')
    .description(
      'Caption every photo of a captioned dataset and score against its captions (BLEU-1..4, ROUGE-L, CIDEr-D, CHAIR-s, CHAIR-i, consensus-object recall)',
    )
    .requiredOption('--data <file>', 'Captions: our .jsonl ({"file","captions"}), Flickr8k.token.txt, or a Karpathy-split JSON')
    .option('--model <dir>', 'Model directory (default: the bundled models/default)')
    .option('--images <dir>', 'Folder holding the photos (default: next to the captions file)')
    .option('--beam <k>', "Beam width (default: the model's)")
    .option(
      '--block-ngram <n>',
      "Block repeated n-grams (and one word on both sides of and/or) while decoding, 0 = off (default: the model's)",
    )
    .option('--split <which>', 'All | val | train (hash split, --val-fraction) | declared-val | declared-test (Karpathy JSON)', 'all')
    .option('--val-fraction <f>', 'For --split val/train: the fraction used in training', '0.05')
    .option('--limit <n>', 'Only the first n photos')
    .option('--cache <dir>', 'Feature cache folder (default: the user cache folder)')
    .option('--threads <n>', 'Encoder threads (0 = all cores)')
    .option('--no-guide', "Decode without the model's guided decoding (concept models)")
    .option('--require-above <s>', "Guided decoding: require objects whose concept score is at least s (default: the model's)")
    .option('--max-required <n>', `Guided decoding: at most n required objects per photo, 0-${MAX_REQUIRED} (default: the model's)`)
    .option('--veto-below <s>', "Guided decoding: veto object words whose concept score is below s, 0 = none (default: the model's)")
    .option(
      '--soft-veto <w>',
      `Guided decoding: add w·ln(score) to the log-probability of object words neither vetoed nor required, 0-${MAX_SOFT_VETO_WEIGHT} (default: the model's)`,
    )
    .option(
      '--no-unfamiliar',
      "Guided decoding without the model's limit on unfamiliar photos: every photo is captioned from its feature too",
    )
    .option('--captions <file>', "Also write each photo's caption, references and COCO objects (named, hallucinated, consensus) as jsonl")
    .option('--json', 'Last line: {"images","bleu1","bleu2","bleu3","bleu4","rouge_l","cider","chair_s","chair_i","consensus_recall"}');
  withExample(evalCmd, 'lenscribe eval --data flickr8k/captions.jsonl --split val').action(async (opts: EvalCliOptions) => {
    await runEval(opts);
  });
}
