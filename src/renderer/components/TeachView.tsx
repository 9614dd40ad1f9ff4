/**
 * "Teach Lenscribe": the photos the user captioned (the labeled set, validation photos marked),
 * a Start button, the live loss curve with progress, ETA and Cancel, the resume/discard offer
 * after an interrupted run, and for a finished run the before/after captions of the validation
 * photos with Activate / Discard. The run itself lives in the core; this view only shows it, so
 * the rest of the app stays usable (and the run goes on) when the user looks elsewhere.
 */
import { useCallback, useEffect, useState } from 'react';
import type { ApiClient, ModelInfo, TeachOverview, TeachRun, TeachRunResult, TeachScores } from '../../shared/api-contract.js';
import { formatDuration, plural } from '../format.js';
import { LossChart } from './LossChart.js';
import { VerdictBanner, VersionChoice } from './TeachVerdict.js';

export interface TeachViewProps {
  client: ApiClient;
  /** Live run state from the `teach` event (App keeps it, so it survives switching views). */
  run: TeachRun | null;
  /** Bumped when photos change (a new user caption changes the labeled set). */
  refreshToken: number;
  theme: string;
  onError(message: string): void;
  onOpenPhoto?(photoId: number): void;
}

const EPOCH_CHOICES = [3, 5, 10, 20];
const phaseLabel: Record<string, string> = {
  features: 'Reading photo features',
  prepare: 'Preparing',
  train: 'Training',
  validate: 'Checking on your held-back photos',
  evaluate: 'Comparing before and after',
  save: 'Saving the new version',
};

function scoreCell(s: TeachScores | undefined, key: 'cider' | 'bleu4' | 'loss'): string {
  const v = s?.[key];
  return v === null || v === undefined || !Number.isFinite(v) ? '—' : key === 'loss' ? v.toFixed(3) : v.toFixed(key === 'cider' ? 3 : 3);
}

/** Runs a button's call: marks which one is busy, reloads afterwards, reports a failure. */
type Act = (label: string, work: () => Promise<unknown>) => Promise<void>;

/** The labeled set and the model versions, reloaded on photo changes and whenever the live run changes state. */
function useTeachOverview(client: ApiClient, refreshToken: number, liveState: TeachRun['state'] | undefined) {
  const [status, setStatus] = useState<TeachOverview | null>(null);
  const [models, setModels] = useState<ModelInfo[]>([]);
  const [loadError, setLoadError] = useState<string | null>(null);

  const load = useCallback(() => {
    client.call('teach.status', { limit: 300 }).then(
      (s) => {
        setStatus(s);
        setLoadError(null);
      },
      (e: Error) => setLoadError(e.message),
    );
    client.call('models.list').then(setModels, () => {});
  }, [client]);

  useEffect(load, [load, refreshToken]);
  // A run changing state (finished, interrupted, activated) changes the status and the models.
  useEffect(() => {
    if (liveState) load();
  }, [liveState, load]);
  return { status, models, loadError, load };
}

function TeachIntro() {
  return (
    <section className="teach-section">
      <h1>Teach Lenscribe your words</h1>
      <p className="muted">
        Lenscribe learns from the captions you write — names of people, pets and places, and the way you describe things — and can then
        caption the rest of your library in your words. Some of your photos are held back to check that the new version really does better.
      </p>
    </section>
  );
}

function InterruptedRun({ client, run, busy, act }: { client: ApiClient; run: TeachRun; busy: string | null; act: Act }) {
  return (
    <section className="teach-section interrupted" role="alert" data-testid="teach-interrupted">
      <h2>The last teaching run was interrupted</h2>
      <p>
        It started {run.startedAt ? new Date(run.startedAt).toLocaleString() : 'earlier'} and stopped before it finished (Lenscribe was
        closed or crashed). Your active model was not touched.
      </p>
      <div className="button-row">
        {run.canResume && (
          <button
            className="primary"
            disabled={busy !== null}
            onClick={() => act('resume', () => client.call('teach.resume'))}
            data-testid="teach-resume"
          >
            Resume
          </button>
        )}
        <button
          disabled={busy !== null}
          onClick={() => act('discard', () => client.call('teach.discard'))}
          data-testid="teach-discard-interrupted"
        >
          Discard
        </button>
      </div>
    </section>
  );
}

function LabeledPhotos({
  client,
  status,
  enough,
  onOpenPhoto,
}: {
  client: ApiClient;
  status: TeachOverview;
  enough: boolean;
  onOpenPhoto?(photoId: number): void;
}) {
  return (
    <section className="teach-section" aria-labelledby="labeled-heading">
      <h2 id="labeled-heading" data-testid="labeled-count">
        {plural(status.labeledCount, 'photo')} with your captions
        {status.labeledCount > 0 && <span className="muted small"> · {status.validationCount.toLocaleString()} held back to check</span>}
      </h2>
      {!enough && (
        <p data-testid="teach-need-more">
          Caption at least {status.minimumLabeled} photos yourself to teach Lenscribe ({status.minimumLabeled - status.labeledCount} to go):
          open a photo, press <kbd>E</kbd>, type what you would call it and press <kbd>Enter</kbd>. Descriptions you wrote in other apps
          count too.
        </p>
      )}
      {status.labeled.length > 0 && (
        <ul className="labeled-strip" data-testid="labeled-photos">
          {status.labeled.map((p) => (
            <li key={p.id} className={p.validation ? 'held-back' : undefined}>
              {/* Named by what it shows, in the order shown (caption, then the badge), so the name contains the visible text (WCAG 2.5.3). */}
              <button className="labeled-photo" onClick={() => onOpenPhoto?.(p.id)} title={p.caption ?? p.name}>
                {p.thumb ? (
                  <img src={client.thumbUrl(p.thumb)} alt="" loading="lazy" />
                ) : (
                  <span className="thumb-placeholder" aria-hidden="true">
                    ▧
                  </span>
                )}
                <span className="labeled-caption">{p.caption}</span>
                {p.validation && (
                  <span className="badge badge-check">
                    check<span className="visually-hidden">: held back to test the new version</span>
                  </span>
                )}
                <span className="visually-hidden">, {p.name}</span>
              </button>
            </li>
          ))}
        </ul>
      )}
      {status.labeledCount > status.labeled.length && (
        <p className="small muted">and {plural(status.labeledCount - status.labeled.length, 'more photo')}</p>
      )}
    </section>
  );
}

function StartRun(props: {
  client: ApiClient;
  run: TeachRun | null;
  canStart: boolean;
  hasModel: boolean;
  epochs: number;
  onEpochs(epochs: number): void;
  act: Act;
}) {
  const { client, run, epochs, act } = props;
  return (
    <section className="teach-section">
      <div className="start-row">
        <label>
          At most{' '}
          <select value={epochs} onChange={(e) => props.onEpochs(Number(e.target.value))} aria-label="Maximum epochs">
            {EPOCH_CHOICES.map((n) => (
              <option key={n} value={n}>
                {n} epochs
              </option>
            ))}
          </select>
        </label>
        <button
          className="primary large"
          disabled={!props.canStart}
          onClick={() => act('start', () => client.call('teach.start', { epochs }))}
          data-testid="teach-start"
        >
          Start teaching
        </button>
      </div>
      {!props.hasModel && <p className="muted small">Teaching starts from a caption model, and none is installed.</p>}
      {run?.state === 'idle' && run.message && (
        <p className="error-text" data-testid="teach-last-error">
          Last run: {run.message}
        </p>
      )}
    </section>
  );
}

function RunningNumbers({ client, run, busy, act }: { client: ApiClient; run: TeachRun; busy: string | null; act: Act }) {
  const pct = run.steps > 0 ? Math.min(100, Math.round((run.step / run.steps) * 100)) : 0;
  return (
    <>
      <div className="job-title">
        <span data-testid="teach-phase">{phaseLabel[run.phase ?? ''] ?? 'Working'}</span>
        <span data-testid="teach-percent">{pct} %</span>
      </div>
      <div className="progress" role="progressbar" aria-valuemin={0} aria-valuemax={100} aria-valuenow={pct} aria-label="Teaching progress">
        <div className="progress-fill" style={{ width: `${pct}%` }} />
      </div>
      <div className="small muted teach-numbers">
        epoch {Math.min(run.epoch + 1, run.epochs)} of at most {run.epochs} · step {run.step.toLocaleString()} /{' '}
        {run.steps.toLocaleString()}
        {run.loss !== null && <> · loss {run.loss.toFixed(3)}</>}
        {run.valLoss !== null && <> · validation {run.valLoss.toFixed(3)}</>} · ETA {formatDuration(run.etaSeconds)}
      </div>
      <div className="button-row">
        <button onClick={() => act('cancel', () => client.call('teach.cancel'))} disabled={busy === 'cancel'} data-testid="teach-cancel">
          Cancel
        </button>
        <span className="small muted">You can keep using Lenscribe while it learns.</span>
      </div>
    </>
  );
}

function MetricsTable({ metrics }: { metrics: TeachRunResult['metrics'] }) {
  return (
    <table className="metrics-table" data-testid="teach-metrics">
      <thead>
        <tr>
          <th scope="col"></th>
          <th scope="col">Before</th>
          <th scope="col">After</th>
        </tr>
      </thead>
      <tbody>
        <tr>
          <th scope="row">Your held-back photos · CIDEr-D</th>
          <td>{scoreCell(metrics.user.before, 'cider')}</td>
          <td>{scoreCell(metrics.user.after, 'cider')}</td>
        </tr>
        <tr>
          <th scope="row">Your held-back photos · loss</th>
          <td>{scoreCell(metrics.user.before, 'loss')}</td>
          <td>{scoreCell(metrics.user.after, 'loss')}</td>
        </tr>
        {metrics.base && (
          <tr>
            <th scope="row">General photos · CIDEr-D</th>
            <td>{scoreCell(metrics.base.before, 'cider')}</td>
            <td>
              {scoreCell(metrics.base.after, 'cider')}
              {metrics.baseCiderChange !== null && (
                <span className="muted small">
                  {' '}
                  ({metrics.baseCiderChange >= 0 ? '+' : ''}
                  {(metrics.baseCiderChange * 100).toFixed(1)} %
                  {metrics.baseCiderChangeRenamed !== null &&
                    Math.abs(metrics.baseCiderChangeRenamed - metrics.baseCiderChange) >= 0.01 && (
                      <>
                        ; {metrics.baseCiderChangeRenamed >= 0 ? '+' : ''}
                        {(metrics.baseCiderChangeRenamed * 100).toFixed(1)} % reading your new words as the ones they replace
                      </>
                    )}
                  )
                </span>
              )}
            </td>
          </tr>
        )}
      </tbody>
    </table>
  );
}

function BeforeAfterTable({ client, rows }: { client: ApiClient; rows: TeachRunResult['beforeAfter'] }) {
  return (
    <table className="before-after" data-testid="before-after">
      <thead>
        <tr>
          <th scope="col">Photo</th>
          <th scope="col">Your caption</th>
          <th scope="col">Before</th>
          <th scope="col">After</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r, i) => (
          <tr key={r.photoId ?? i} data-testid="before-after-row">
            <td>{r.thumb ? <img className="ba-thumb" src={client.thumbUrl(r.thumb)} alt={r.name} /> : r.name}</td>
            <td>{r.reference}</td>
            <td className="muted">{r.before}</td>
            <td className={r.after !== r.before ? 'changed' : undefined}>{r.after}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function RunResult(props: { client: ApiClient; result: TeachRunResult; busy: string | null; act: Act; onNote(note: string): void }) {
  const { client, result, busy, act } = props;
  const activate = (confirmWorse: boolean) =>
    act('activate', async () => {
      const r = await client.call('teach.activate', confirmWorse ? { confirmWorse: true } : {});
      props.onNote(
        `Now captioning with ${r.model.name}.${r.jobId !== null ? ' Photos without your own caption are being re-captioned (see Jobs).' : ''}`,
      );
    });
  return (
    <section className="teach-section" data-testid="teach-result">
      <h2>A new version is ready</h2>
      <VerdictBanner verdict={result.verdict} />
      <p>
        Trained on {plural(result.trainPhotos, 'photo')} for {plural(result.epochsRun, 'epoch')} in {formatDuration(result.seconds)}
        <span data-testid="teach-kept-epoch">
          {result.epochsRun > 1 ? `; it keeps epoch ${result.bestEpoch + 1}, the best on your held-back photos` : ''}
        </span>
        .
        {result.newWords.length > 0 && (
          <>
            {' '}
            New words: <strong data-testid="teach-new-words">{result.newWords.join(', ')}</strong>.
          </>
        )}
      </p>
      <MetricsTable metrics={result.metrics} />
      <h3>Your held-back photos, captioned before and after</h3>
      <BeforeAfterTable client={client} rows={result.beforeAfter} />
      <VersionChoice
        verdict={result.verdict}
        busy={busy !== null}
        onUse={(confirmWorse) => void activate(confirmWorse)}
        onDiscard={() => void act('discard', () => client.call('teach.discard'))}
      />
    </section>
  );
}

function ModelVersions(props: {
  client: ApiClient;
  models: ModelInfo[];
  rollbackTo: string | null;
  canRollBack: boolean;
  act: Act;
  onNote(note: string): void;
}) {
  const { client, models, rollbackTo, act } = props;
  const activeModel = models.find((m) => m.active);
  const rollback = () =>
    act('rollback', async () => {
      const r = await client.call('models.rollback');
      props.onNote(`Back to ${r.model.name}.`);
    });
  return (
    <section className="teach-section" aria-labelledby="versions-heading">
      <h2 id="versions-heading">Model versions</h2>
      <ul className="versions" data-testid="versions">
        {models.map((m) => (
          <li key={m.id} className={m.active ? 'active' : undefined}>
            <span className="version-name">{m.name}</span> <span className="muted small">{m.id}</span>
            {m.active && <span className="status status-ready"> active</span>}
          </li>
        ))}
      </ul>
      {rollbackTo && (
        <button disabled={!props.canRollBack} onClick={rollback} data-testid="teach-rollback">
          Roll back to {models.find((m) => m.id === rollbackTo)?.name ?? rollbackTo}
        </button>
      )}
      {activeModel && <p className="small muted">Active: {activeModel.name}</p>}
    </section>
  );
}

export function TeachView({ client, run: liveRun, refreshToken, theme, onError, onOpenPhoto }: TeachViewProps) {
  const { status, models, loadError, load } = useTeachOverview(client, refreshToken, liveRun?.state);
  const [epochs, setEpochs] = useState(10);
  const [busy, setBusy] = useState<string | null>(null);
  const [note, setNote] = useState<string | null>(null);

  const run: TeachRun | null = liveRun ?? status?.run ?? null;
  const act: Act = async (label, work) => {
    setBusy(label);
    try {
      await work();
      load();
    } catch (err) {
      onError((err as Error).message);
    } finally {
      setBusy(null);
    }
  };

  if (!status)
    return (
      <div className="teach" data-testid="teach">
        {loadError ? (
          <p className="error-box" role="alert">
            {loadError}
          </p>
        ) : (
          'Loading…'
        )}
      </div>
    );
  const enough = status.labeledCount >= status.minimumLabeled;
  const running = run?.state === 'running';
  const result = run?.state === 'ready' ? run.result : null;

  return (
    <div className="teach" data-testid="teach">
      <TeachIntro />
      {run?.state === 'interrupted' && <InterruptedRun client={client} run={run} busy={busy} act={act} />}
      <LabeledPhotos client={client} status={status} enough={enough} onOpenPhoto={onOpenPhoto} />
      {!running && run?.state !== 'ready' && run?.state !== 'interrupted' && (
        <StartRun
          client={client}
          run={run}
          canStart={enough && busy === null && !!status.activeModel}
          hasModel={!!status.activeModel}
          epochs={epochs}
          onEpochs={setEpochs}
          act={act}
        />
      )}
      {(running || (run && (run.train.length > 0 || run.validation.length > 0))) && run && (
        <section className="teach-section" aria-label="Training progress" data-testid="teach-progress">
          {running && <RunningNumbers client={client} run={run} busy={busy} act={act} />}
          <LossChart train={run.train} validation={run.validation} epochs={run.epochs || epochs} theme={theme} />
        </section>
      )}
      {result && <RunResult client={client} result={result} busy={busy} act={act} onNote={setNote} />}
      {note && (
        <p className="teach-note" role="status" data-testid="teach-note">
          {note}
        </p>
      )}
      <ModelVersions
        client={client}
        models={models}
        rollbackTo={status.rollbackTo}
        canRollBack={busy === null && !running}
        act={act}
        onNote={setNote}
      />
    </div>
  );
}
