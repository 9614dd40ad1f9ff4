/**
 * `lenscribe teach [--library <dir>] [--epochs n] [--lr r] [--activate [--confirm-worse]] [--resume | --discard] [--json]`
 * (also `lenscribe finetune`, its former name): teach the active model the user's own captions
 * (src/main/teach/teach-job.ts). Progress goes to stderr; the result starts with its verdict
 * (better / mixed / worse, and why); `--activate` makes the new version active and runs the
 * re-captioning of every photo without a user caption to the end — a worse version only with
 * `--confirm-worse` (else it waits, not active, and the command exits 2), and never one that
 * forgot more than the budget allows (exit 2); `--json` ends with one JSON line of the run's
 * metrics and verdict. An activation a kill interrupted is finished first: rerunning
 * `teach --activate` then only finishes it (it does not teach another version on top).
 */
import type { Command } from 'commander';
import { UserError } from '../../shared/errors.js';
import type { Library } from '../../main/library/library.js';
import { Teacher as TeachJob } from '../../main/teach/teach-job.js';
import type { TeachProgress, TeachResult, TeachStatus } from '../../training/teach-types.js';
import { forgettingProblem, teachVerdict } from '../../training/teach-verdict.js';
import { addLibraryOption, bar, formatDuration, openLibraryFromCli, parseNumber, printable, StatusLine, withExample } from '../ui.js';

interface TeachCliOptions {
  library?: string;
  epochs?: string;
  lr?: string;
  seed?: string;
  activate?: boolean;
  confirmWorse?: boolean;
  resume?: boolean;
  discard?: boolean;
  json?: boolean;
}

type Recaptioned = { jobId: number | null; done: number; failed: number };

/** The run's verdict (computed from its metrics for a result stored before verdicts). */
const verdictOf = (result: TeachResult) => result.verdict ?? teachVerdict(result.metrics);

/** Refuses to start over a run going on elsewhere, or over an interrupted one without --resume. */
function checkCanStart(st: TeachStatus, opts: TeachCliOptions, status: StatusLine): void {
  if (st.teach.state === 'running') throw new UserError(`a teach run (${st.teach.runId}) is running in another process`);
  if (st.teach.state === 'interrupted' && !opts.resume) {
    throw new UserError(
      `an interrupted teach run (${st.teach.runId}, ${st.teach.epochsDone} epochs done) is waiting: run with --resume to continue it or --discard to drop it`,
    );
  }
  if (st.teach.state === 'ready')
    status.log(`lenscribe: the earlier version ${st.teach.result.modelId} was never activated; it stays in the model list`);
}

function showProgress(status: StatusLine, p: TeachProgress): void {
  if (p.phase === 'train' || p.phase === 'validate') {
    const frac = p.totalSteps ? p.step / p.totalSteps : 0;
    status.update(
      `epoch ${p.epoch + 1}/${p.epochs} ${bar(frac)} loss ${p.epochLoss?.toFixed(3) ?? '?'}${p.validationLoss !== null ? ` val ${p.validationLoss.toFixed(3)}` : ''} ETA ${formatDuration(p.etaSeconds ?? NaN)}`,
    );
  } else status.update(p.message ?? p.phase, true);
}

/** Waits for the run; Ctrl-C cancels it after the batch in flight (no model is written). */
async function waitForRun(job: TeachJob, status: StatusLine): Promise<TeachResult> {
  const onSigint = () => {
    status.log('lenscribe: cancelling after this batch; no model is written');
    job.cancel();
  };
  process.once('SIGINT', onSigint);
  try {
    return await job.wait();
  } finally {
    process.off('SIGINT', onSigint);
    status.done();
  }
}

function printResult(result: TeachResult): void {
  const m = result.metrics;
  process.stdout.write(
    `${verdictOf(result).reason}\n` +
      `new model ${printable(result.modelId)} (${result.epochsRun} epochs, best ${result.bestEpoch + 1}, ${result.stopReason}, ${formatDuration(result.seconds)})\n` +
      (result.newWords.length
        ? `new words: ${printable(result.newWords.map((w) => `${w.word}${w.anchors[0] ? ` (like "${w.anchors[0].word}")` : ''}`).join(', '))}\n`
        : '') +
      `your validation photos (${m.user.after.images}): loss ${m.user.before.loss} -> ${m.user.after.loss}, BLEU-4 ${m.user.before.bleu4} -> ${m.user.after.bleu4}, CIDEr-D ${m.user.before.cider} -> ${m.user.after.cider}\n` +
      (m.base
        ? `base validation (${m.base.after.images}): CIDEr-D ${m.base.before.cider} -> ${m.base.after.cider} (${((m.baseCiderChange ?? 0) * 100).toFixed(1)} %, ${((m.baseCiderChangeRenamed ?? 0) * 100).toFixed(1)} % reading new words as the old ones)\n`
        : 'no replay set: forgetting not measured\n'),
  );
  for (const v of result.validationCaptions)
    process.stdout.write(
      `  ${printable(v.path)}\n    yours:  ${printable(v.reference)}\n    before: ${printable(v.before)}\n    after:  ${printable(v.after)}\n`,
    );
}

/** Activates the new version and runs its re-captioning job to the end (exit 2 if it stops early). */
async function activateAndRecaption(
  job: TeachJob,
  lib: Library,
  modelId: string,
  status: StatusLine,
  confirmWorse: boolean,
): Promise<Recaptioned> {
  const { jobId } = job.activate(modelId, { confirmWorse });
  if (jobId === null) return { jobId: null, done: 0, failed: 0 };
  return recaptionToTheEnd(lib, jobId, status);
}

/** Runs an activation's re-captioning job to the end, showing its progress (exit 2 if it stops early). */
async function recaptionToTheEnd(lib: Library, jobId: number, status: StatusLine): Promise<Recaptioned> {
  void lib.runJobs();
  lib.on('job', (j) => {
    if (j.id === jobId) status.update(`re-captioning ${bar(j.total ? (j.done + j.failed) / j.total : 0)} ${j.done + j.failed}/${j.total}`);
  });
  const recaption = await lib.waitForJob(jobId);
  status.done();
  if (recaption.status !== 'done')
    throw new UserError(
      `re-captioning ${recaption.status}${recaption.message ? `: ${recaption.message}` : ''}; it resumes with the next captioning run`,
      2,
    );
  return { jobId, done: recaption.done, failed: recaption.failed };
}

/**
 * An activation a kill interrupted (its job still re-captioning for the active model) is finished
 * before anything else. True when that was the whole command: `teach --activate` run again after
 * the kill (the version it taught is active; teaching again on top is not what was asked).
 */
async function finishInterruptedActivation(job: TeachJob, lib: Library, opts: TeachCliOptions, status: StatusLine): Promise<boolean> {
  const pending = job.pendingActivation();
  if (!pending) return false;
  const left = pending.total - pending.done - pending.failed;
  status.log(
    `lenscribe: the activation of ${pending.modelId} was interrupted; finishing it first (re-captioning ${left} of ${pending.total} photos)`,
  );
  const r = await recaptionToTheEnd(lib, pending.id, status);
  if (!opts.activate) return false;
  const line = `activated ${pending.modelId}; re-captioned ${r.done} photos (the interrupted activation is finished; nothing was taught again: run the command again to teach a new version)`;
  process.stdout.write(
    opts.json
      ? `${JSON.stringify({ model: pending.modelId, activated: true, recaptioned: r.done, finished_interrupted_activation: true })}\n`
      : `${line}\n`,
  );
  return true;
}

/** Refuses activation (exit 2) of a worse version without --confirm-worse, and of one beyond the forgetting budget at all. */
function checkActivatable(result: TeachResult, opts: TeachCliOptions): void {
  const refuse = (why: string) => {
    if (opts.json) process.stdout.write(`${resultJson(result, false, null)}\n`);
    throw new UserError(why, 2);
  };
  const forgot = forgettingProblem(result.metrics);
  if (forgot)
    refuse(
      `not activated: the new version ${result.modelId} ${forgot}; discard it with \`lenscribe teach --discard\`, or teach again with fewer epochs or a lower --lr`,
    );
  if (verdictOf(result).kind === 'worse' && !opts.confirmWorse)
    refuse(
      `not activated: the new version ${result.modelId} is worse than the model it was taught from; discard it with \`lenscribe teach --discard\`, or teach again with --activate --confirm-worse to use a worse version anyway`,
    );
}

function resultJson(result: TeachResult, activated: boolean, recaptioned: Recaptioned | null): string {
  const m = result.metrics;
  return printable(
    JSON.stringify({
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
      verdict: verdictOf(result).kind,
      verdict_reason: verdictOf(result).reason,
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
      activated,
      recaptioned: recaptioned?.done ?? null,
    }),
  );
}

export async function runTeach(opts: TeachCliOptions): Promise<void> {
  const epochs = opts.epochs === undefined ? undefined : parseNumber(opts.epochs, '--epochs', { int: true, min: 1, max: 200 });
  const learningRate = opts.lr === undefined ? undefined : parseNumber(opts.lr, '--lr', { min: 1e-7, max: 1 });
  const seed = opts.seed === undefined ? undefined : parseNumber(opts.seed, '--seed', { int: true, min: 0, max: 2 ** 31 });
  if (opts.resume && opts.discard) throw new UserError('--resume and --discard exclude each other');
  if (opts.confirmWorse && !opts.activate) throw new UserError('--confirm-worse goes with --activate');
  const lib = openLibraryFromCli(opts, { autoCaption: false });
  const status = new StatusLine();
  lib.on('warning', (message) => status.log(`lenscribe: ${message}`));
  const job = new TeachJob(lib);
  try {
    if (!opts.discard && (await finishInterruptedActivation(job, lib, opts, status))) return;
    const st = job.status();
    if (opts.discard) {
      const r = job.discard();
      process.stdout.write(r.discarded ? `discarded ${printable(r.discarded)}\n` : 'nothing to discard\n');
      return;
    }
    checkCanStart(st, opts, status);
    const { runId } = st.teach.state === 'interrupted' ? job.resume() : job.start({ epochs, learningRate, seed });
    if (st.teach.state !== 'interrupted')
      status.log(`teaching ${st.trainCount} photos (${st.validationCount} held back for validation) to ${st.activeModelId} -> ${runId}`);
    job.on('progress', (p) => showProgress(status, p));
    const result = await waitForRun(job, status);
    if (!opts.json) printResult(result);
    let recaptioned: Recaptioned | null = null;
    if (opts.activate) checkActivatable(result, opts);
    if (opts.activate) {
      recaptioned = await activateAndRecaption(job, lib, result.modelId, status, !!opts.confirmWorse);
      if (!opts.json) process.stdout.write(`activated ${printable(result.modelId)}; re-captioned ${recaptioned.done} photos\n`);
    }
    if (opts.json) process.stdout.write(`${resultJson(result, !!opts.activate, recaptioned)}\n`);
  } finally {
    await job.close();
    await lib.close();
  }
}

export function registerTeach(program: Command): void {
  const teach = program
    .command('teach')
    .alias('finetune')
    .description(
      'Teach the active caption model your own captions (the photos you captioned, labelled or imported); finetune is its old name',
    )
    .option('--epochs <n>', 'Maximum epochs, stopping early on your held-back photos (default: 8)')
    .option('--lr <rate>', 'Adam learning rate (default: 1e-3)')
    .option('--seed <n>', 'Random seed (batch order, dropout, replay sample)')
    .option('--activate', 'Activate the new version and re-caption every photo without your own caption before exiting')
    .option('--confirm-worse', 'With --activate: activate the new version even when its verdict is worse')
    .option('--resume', 'Continue an interrupted run from its last epoch')
    .option('--discard', 'Drop an interrupted run (or a version never activated)')
    .option('--json', "End with one JSON line of the run's metrics");
  withExample(addLibraryOption(teach), 'lenscribe teach --activate').action(runTeach);
}
