/**
 * `lenscribe finetune [--library <dir>] [--epochs n] [--lr r] [--activate] [--resume | --discard] [--json]`:
 * teach the active model the user's own captions (src/main/teach/teach-job.ts). Progress
 * goes to stderr; `--activate` makes the new version active and runs the re-captioning of every
 * photo without a user caption to the end; `--json` ends with one JSON line of the run's metrics.
 */
import type { Command } from 'commander';
import { UserError } from '../../shared/errors.js';
import { addLibraryOption, openLibraryFromCli } from '../ui.js';
import { Teacher } from '../../main/teach/teach-job.js';
import { bar, formatSeconds, StatusLine } from './train.js';

interface FinetuneCliOptions {
  library?: string;
  epochs?: string;
  lr?: string;
  seed?: string;
  activate?: boolean;
  resume?: boolean;
  discard?: boolean;
  json?: boolean;
}

function num(v: string | undefined, flag: string, min: number, max: number, int = false): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < min || n > max || (int && !Number.isInteger(n)))
    throw new UserError(`${flag} must be ${int ? 'an integer' : 'a number'} in [${min}, ${max}]; got "${v}"`);
  return n;
}

export async function runFinetune(opts: FinetuneCliOptions): Promise<void> {
  const epochs = num(opts.epochs, '--epochs', 1, 200, true);
  const learningRate = num(opts.lr, '--lr', 1e-7, 1);
  const seed = num(opts.seed, '--seed', 0, 2 ** 31, true);
  if (opts.resume && opts.discard) throw new UserError('--resume and --discard exclude each other');
  const lib = openLibraryFromCli(opts, { autoCaption: false });
  const teacher = new Teacher(lib);
  const status = new StatusLine();
  try {
    const st = teacher.status();
    if (opts.discard) {
      const r = teacher.discard();
      process.stdout.write(r.discarded ? `discarded ${r.discarded}\n` : 'nothing to discard\n');
      return;
    }
    if (st.teach.state === 'running') throw new UserError(`a fine-tune (${st.teach.runId}) is running in another process`);
    if (st.teach.state === 'interrupted' && !opts.resume) {
      throw new UserError(
        `an interrupted fine-tune (${st.teach.runId}, ${st.teach.epochsDone} epochs done) is waiting: run with --resume to continue it or --discard to drop it`,
      );
    }
    if (st.teach.state === 'ready')
      status.log(`lenscribe: the earlier version ${st.teach.result.modelId} was never activated; it stays in the model list`);
    const { runId } = st.teach.state === 'interrupted' ? teacher.resume() : teacher.start({ epochs, learningRate, seed });
    if (st.teach.state !== 'interrupted')
      status.log(`teaching ${st.trainCount} photos (${st.validationCount} held back for validation) to ${st.activeModelId} -> ${runId}`);
    teacher.on('progress', (p) => {
      if (p.phase === 'train' || p.phase === 'validate') {
        const frac = p.totalSteps ? p.step / p.totalSteps : 0;
        status.update(
          `epoch ${p.epoch + 1}/${p.epochs} ${bar(frac)} loss ${p.epochLoss?.toFixed(3) ?? '?'}${p.validationLoss !== null ? ` val ${p.validationLoss.toFixed(3)}` : ''} ETA ${formatSeconds(p.etaSeconds ?? NaN)}`,
        );
      } else status.update(p.message ?? p.phase, true);
    });
    const onSigint = () => {
      status.log('lenscribe: cancelling after this batch; no model is written');
      teacher.cancel();
    };
    process.once('SIGINT', onSigint);
    let result;
    try {
      result = await teacher.wait();
    } finally {
      process.off('SIGINT', onSigint);
      status.done();
    }
    const m = result.metrics;
    if (!opts.json) {
      process.stdout.write(
        `new model ${result.modelId} (${result.epochsRun} epochs, best ${result.bestEpoch + 1}, ${result.stopReason}, ${formatSeconds(result.seconds)})\n` +
          (result.newWords.length
            ? `new words: ${result.newWords.map((w) => `${w.word}${w.anchors[0] ? ` (like "${w.anchors[0].word}")` : ''}`).join(', ')}\n`
            : '') +
          `your validation photos (${m.user.after.images}): loss ${m.user.before.loss} -> ${m.user.after.loss}, BLEU-4 ${m.user.before.bleu4} -> ${m.user.after.bleu4}, CIDEr-D ${m.user.before.cider} -> ${m.user.after.cider}\n` +
          (m.base
            ? `base validation (${m.base.after.images}): CIDEr-D ${m.base.before.cider} -> ${m.base.after.cider} (${((m.baseCiderChange ?? 0) * 100).toFixed(1)} %, ${((m.baseCiderChangeRenamed ?? 0) * 100).toFixed(1)} % reading new words as the old ones)\n`
            : 'no replay set: forgetting not measured\n'),
      );
      for (const v of result.validationCaptions)
        process.stdout.write(`  ${v.path}\n    yours:  ${v.reference}\n    before: ${v.before}\n    after:  ${v.after}\n`);
    }
    let recaptioned: { jobId: number | null; done: number; failed: number } | null = null;
    if (opts.activate) {
      const { jobId } = teacher.activate(result.modelId);
      if (jobId !== null) {
        lib.on('job', (j) => {
          if (j.id === jobId)
            status.update(`re-captioning ${bar(j.total ? (j.done + j.failed) / j.total : 0)} ${j.done + j.failed}/${j.total}`);
        });
        const job = await lib.waitForJob(jobId);
        status.done();
        recaptioned = { jobId, done: job.done, failed: job.failed };
        if (job.status !== 'done')
          throw new UserError(
            `re-captioning ${job.status}${job.message ? `: ${job.message}` : ''}; it resumes with the next captioning run`,
            2,
          );
      } else recaptioned = { jobId: null, done: 0, failed: 0 };
      if (!opts.json) process.stdout.write(`activated ${result.modelId}; re-captioned ${recaptioned.done} photos\n`);
    }
    if (opts.json) {
      process.stdout.write(
        `${JSON.stringify({
          model: result.modelId,
          base: result.baseModelId,
          train_photos: result.trainPhotos,
          validation_photos: result.validationPhotos,
          replay_captions: result.replayCaptions,
          new_words: result.newWords.map((w) => w.word),
          epochs: result.epochsRun,
          best_epoch: result.bestEpoch + 1,
          stop: result.stopReason,
          seconds: result.seconds,
          user_loss_before: m.user.before.loss,
          user_loss_after: m.user.after.loss,
          user_bleu4_before: m.user.before.bleu4,
          user_bleu4_after: m.user.after.bleu4,
          user_cider_before: m.user.before.cider,
          user_cider_after: m.user.after.cider,
          base_cider_before: m.base?.before.cider ?? null,
          base_cider_after: m.base?.after.cider ?? null,
          base_cider_change: m.baseCiderChange,
          base_cider_change_renamed: m.baseCiderChangeRenamed,
          activated: !!opts.activate,
          recaptioned: recaptioned?.done ?? null,
        })}\n`,
      );
    }
  } finally {
    await teacher.close();
    await lib.close();
  }
}

export function registerFinetune(program: Command): void {
  addLibraryOption(
    program
      .command('finetune')
      .description('teach the active caption model your own captions (photos you captioned or imported with `lenscribe label`)')
      .option('--epochs <n>', 'maximum epochs (early stopping on your held-back photos)')
      .option('--lr <rate>', 'Adam learning rate (default 1e-3)')
      .option('--seed <n>', 'random seed (batch order, dropout, replay sample)')
      .option('--activate', 'activate the new version and re-caption every photo without your own caption before exiting')
      .option('--resume', 'continue an interrupted fine-tune from its last epoch')
      .option('--discard', 'drop an interrupted fine-tune (or a version never activated)')
      .option('--json', "end with one JSON line of the run's metrics"),
  ).action(async (opts: FinetuneCliOptions) => {
    await runFinetune(opts);
  });
}
