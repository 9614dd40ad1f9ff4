/**
 * `lenscribe models list|activate <id>|rollback|discard <id> [--library <dir>] [--json]`: the
 * library's model versions (the default model and the ones `lenscribe teach` made).
 * Activating re-captions every photo without a user caption (resumable, run to the end here).
 *
 * `lenscribe models replay <model dir> --data <captions>`: write the replay set fine-tuning
 * mixes in against forgetting (replay.safetensors: features and captions of a sample of the
 * model's own training photos, plus its validation photos for the before/after score), taken
 * with the same hash split `lenscribe train` used, and list it in model.json.
 */
import type { Command } from 'commander';
import type { ModelInfo } from '../../shared/api-contract.js';
import type { ScoreSet } from '../../main/library/model-registry.js';
import { join, resolve } from 'node:path';
import { UserError } from '../../shared/errors.js';
import { addLibraryOption, jsonLine, openExistingLibraryFromCli, openLibraryFromCli, printable, StatusLine, withExample } from '../ui.js';
import { Teacher } from '../../main/teach/teach-job.js';
import { openEncoder } from '../../inference/encoder/index.js';
import { loadDataset, splitByHash } from '../../training/datasets.js';
import { buildReplaySet, REPLAY_FILE, saveReplaySet } from '../../training/teach.js';
import { loadModelDir, storedOutputNames, writeModelDir } from '../../model/model-dir.js';
import { CONFIG_FILE } from '../../model/decoder-io.js';
import { featuresFor } from '../dataset-features.js';

async function activateAndWait(
  teacher: Teacher,
  json: boolean,
  how: 'activate' | 'rollback',
  id?: string,
  confirmWorse = false,
): Promise<void> {
  const { model, jobId } = how === 'activate' ? teacher.activate(id, { confirmWorse }) : teacher.rollback();
  const lib = teacher.library;
  let done = 0;
  let failed = 0;
  if (jobId !== null) {
    const job = await lib.waitForJob(jobId);
    done = job.done;
    failed = job.failed;
    if (job.status !== 'done') throw new UserError(`re-captioning ${job.status}${job.message ? `: ${job.message}` : ''}`, 2);
  }
  process.stdout.write(
    json
      ? jsonLine({ active: model.id, recaptioned: done, failed })
      : `active model: ${printable(model.id)} (re-captioned ${done} photos${failed ? `, ${failed} failed` : ''})\n`,
  );
}

interface ReplayCliOptions {
  data: string;
  images?: string;
  trainImages: string;
  validationImages: string;
  cache?: string;
}

/** `lenscribe models replay <model dir> --data <captions>`. */
async function runReplay(dir: string, opts: ReplayCliOptions): Promise<void> {
  const modelDir = resolve(dir);
  const loaded = loadModelDir(modelDir);
  const m = loaded.manifest;
  const valFraction = Number(m.training.options?.valFraction ?? 0.05);
  if (m.training.options?.valSplit === 'declared')
    throw new UserError('models trained on a declared split are not supported by models replay yet');
  const ds = loadDataset(opts.data, opts.images ? { imagesDir: opts.images } : {});
  const split = splitByHash(ds.images, valFraction);
  const status = new StatusLine();
  const encoder = await openEncoder({ name: m.encoder.name, log: (l) => status.log(l) });
  const names = storedOutputNames(m.features);
  const flip = m.features.flipAverage ? 'average' : 'none';
  const nTrain = Number(opts.trainImages);
  // Sample before extracting: only the photos kept are encoded.
  const step = Math.max(1, Math.floor(split.train.length / Math.max(1, nTrain)));
  const trainImgs = split.train.filter((_, i) => i % step === 0).slice(0, nTrain);
  let t, v;
  try {
    t = await featuresFor(encoder, trainImgs, names, opts.cache, status, 'features (train)', flip);
    v = await featuresFor(encoder, split.val, names, opts.cache, status, 'features (val)  ', flip);
  } finally {
    await encoder.close();
  }
  const set = buildReplaySet(
    { features: t.features, captions: t.kept.map((i) => i.captions) },
    { features: v.features, captions: v.kept.map((i) => i.captions) },
    t.dim,
    {
      trainImages: nTrain,
      validationImages: Number(opts.validationImages),
      source: `${m.training.data.name}, hash split ${valFraction}`,
    },
  );
  saveReplaySet(join(modelDir, REPLAY_FILE), set);
  const { format: _f, version: _v, files, ...input } = m;
  const extra = Object.keys(files).filter((f) => f !== m.decoder.weights && f !== m.decoder.vocabulary);
  writeModelDir(modelDir, input, [...new Set([...extra, CONFIG_FILE, REPLAY_FILE])]);
  process.stdout.write(
    `${join(modelDir, REPLAY_FILE)}: ${set.train.captions.length} captions of ${set.train.features.length / set.dim} training photos, ${set.validation.references.length} validation photos\n`,
  );
}

/** The models, then one block of scores per set of photos: a figure is only ever next to figures on the same photos. */
export function modelListText(models: ModelInfo[], sets: ScoreSet[]): string {
  if (models.length === 0) return 'no caption models\n';
  // Ids carry the names the user gave their versions.
  const width = Math.max(...models.map((m) => printable(m.id).length));
  let out = models.map((m) => `${m.active ? '*' : ' '} ${printable(m.id).padEnd(width)}  ${m.createdAt ?? ''}\n`).join('');
  for (const set of sets) {
    out += `\nCIDEr-D and BLEU-4 on ${printable(set.photos)} (${printable(set.decoding)}):\n`;
    for (const s of set.scores)
      out += `  ${printable(s.modelId).padEnd(width)}  CIDEr-D ${s.cider.toFixed(4)}${s.bleu4 === null ? '' : `  BLEU-4 ${s.bleu4.toFixed(4)}`}\n`;
  }
  return out;
}

export function registerModels(program: Command): void {
  const models = withExample(
    program.command('models').description('List, activate, roll back or discard caption model versions'),
    'lenscribe models list',
  );
  const withLib = (name: string, desc: string, example: string) =>
    withExample(addLibraryOption(models.command(name).description(desc).option('--json', 'Print JSON')), example);
  const open = async (opts: { library?: string }, fn: (t: Teacher) => Promise<void>, openLibrary = openLibraryFromCli) => {
    const lib = openLibrary(opts, { autoCaption: false });
    const teacher = new Teacher(lib);
    try {
      await fn(teacher);
    } finally {
      await teacher.close();
      await lib.close();
    }
  };

  withLib(
    'list',
    'Show the model versions, with scores side by side only where measured on the same photos',
    'lenscribe models list',
  ).action(async (opts: { library?: string; json?: boolean }) =>
    open(
      opts,
      async (t) => {
        const models = t.library.listModels();
        const scores = t.library.stores.models.scoreSets();
        process.stdout.write(opts.json ? jsonLine({ models, scores }) : modelListText(models, scores));
      },
      openExistingLibraryFromCli,
    ),
  );
  withLib(
    'activate',
    'Make a model version active and re-caption photos without your own caption',
    'lenscribe models activate mine@6f6f3ff45f24',
  )
    .argument('<id>', 'Model id (see `lenscribe models list`)')
    .option('--confirm-worse', 'Activate a just-taught version even though its verdict is worse')
    .action(async (id: string, opts: { library?: string; json?: boolean; confirmWorse?: boolean }) =>
      open(opts, (t) => activateAndWait(t, !!opts.json, 'activate', id, !!opts.confirmWorse)),
    );
  withLib('rollback', 'Go back to the model the active version was taught from', 'lenscribe models rollback').action(
    async (opts: { library?: string; json?: boolean }) => open(opts, (t) => activateAndWait(t, !!opts.json, 'rollback')),
  );
  withLib(
    'discard',
    'Remove a version that is not active (and its folder, if the library made it)',
    'lenscribe models discard mine@6f6f3ff45f24',
  )
    .argument('<id>', 'Model id')
    .action(async (id: string, opts: { library?: string; json?: boolean }) =>
      open(opts, async (t) => {
        t.discardModel(id);
        process.stdout.write(opts.json ? jsonLine({ discarded: id }) : `discarded ${printable(id)}\n`);
      }),
    );
  const replay = models
    .command('replay')
    .description('Write the replay set fine-tuning uses against forgetting into a model directory')
    .argument('<modelDir>', 'Model directory (model.json) trained on --data')
    .requiredOption('--data <file>', 'The captions the model was trained on (as given to lenscribe train)')
    .option('--images <dir>', 'Folder holding the photos')
    .option('--train-images <n>', 'Training photos to sample', '1500')
    .option('--validation-images <n>', 'Validation photos to keep (at most)', '400')
    .option('--cache <dir>', 'Feature cache folder (as for lenscribe train)');
  withExample(replay, 'lenscribe models replay models/default --data flickr8k/captions.jsonl').action(runReplay);
}
