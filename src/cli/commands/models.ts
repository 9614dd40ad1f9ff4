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
import { join, resolve } from 'node:path';
import { UserError } from '../../shared/errors.js';
import { addLibraryOption, openExistingLibraryFromCli, openLibraryFromCli, StatusLine } from '../ui.js';
import { Teacher } from '../../main/teach/teach-job.js';
import { openEncoder } from '../../inference/encoder/index.js';
import { loadDataset, splitByHash } from '../../training/datasets.js';
import { buildReplaySet, REPLAY_FILE, saveReplaySet } from '../../training/teach.js';
import { loadModelDir, writeModelDir } from '../../model/model-dir.js';
import { CONFIG_FILE } from '../../model/decoder-io.js';
import { featuresFor } from '../dataset-features.js';

async function activateAndWait(teacher: Teacher, json: boolean, how: 'activate' | 'rollback', id?: string): Promise<void> {
  const { model, jobId } = how === 'activate' ? teacher.activate(id) : teacher.rollback();
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
      ? `${JSON.stringify({ active: model.id, recaptioned: done, failed })}\n`
      : `active model: ${model.id} (re-captioned ${done} photos${failed ? `, ${failed} failed` : ''})\n`,
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
  const names = m.features.outputs.map((o) => o.name);
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

export function registerModels(program: Command): void {
  const models = program.command('models').description('list, activate, roll back or discard caption model versions');
  const withLib = (name: string, desc: string) => addLibraryOption(models.command(name).description(desc).option('--json', 'print JSON'));
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

  withLib('list', 'the model versions in the library').action(async (opts: { library?: string; json?: boolean }) =>
    open(
      opts,
      async (t) => {
        const list = t.library.listModels();
        if (opts.json) process.stdout.write(`${JSON.stringify(list)}\n`);
        else {
          if (list.length === 0) process.stdout.write('no caption models\n');
          for (const m of list) {
            const figures = Object.entries(m.metrics)
              .filter(([k]) => /cider|bleu4|loss/i.test(k))
              .map(([k, v]) => `${k} ${Math.round(v * 1e4) / 1e4}`)
              .join(', ');
            process.stdout.write(`${m.active ? '*' : ' '} ${m.id}  ${m.createdAt ?? ''}${figures ? `  ${figures}` : ''}\n`);
          }
        }
      },
      openExistingLibraryFromCli,
    ),
  );
  withLib('activate', 'make a model version active and re-caption photos without your own caption')
    .argument('<id>', 'model id (see `lenscribe models list`)')
    .action(async (id: string, opts: { library?: string; json?: boolean }) =>
      open(opts, (t) => activateAndWait(t, !!opts.json, 'activate', id)),
    );
  withLib('rollback', 'go back to the model the active version was taught from').action(
    async (opts: { library?: string; json?: boolean }) => open(opts, (t) => activateAndWait(t, !!opts.json, 'rollback')),
  );
  withLib('discard', 'remove a version that is not active (and its folder, if the library made it)')
    .argument('<id>', 'model id')
    .action(async (id: string, opts: { library?: string; json?: boolean }) =>
      open(opts, async (t) => {
        t.discardModel(id);
        process.stdout.write(opts.json ? `${JSON.stringify({ discarded: id })}\n` : `discarded ${id}\n`);
      }),
    );
  models
    .command('replay')
    .description('write the replay set fine-tuning uses against forgetting into a model directory')
    .argument('<modelDir>', 'model directory (model.json) trained on --data')
    .requiredOption('--data <file>', 'the captions the model was trained on (as given to lenscribe train)')
    .option('--images <dir>', 'folder holding the photos')
    .option('--train-images <n>', 'training photos to sample', '1500')
    .option('--validation-images <n>', 'validation photos to keep (at most)', '400')
    .option('--cache <dir>', 'feature cache folder (as for lenscribe train)')
    .action(runReplay);
}
