/**
 * The photos' model captions: which model captions (the registry's active one), the queue
 * that does it (jobs.ts) with its captioner workers (captioners.ts), re-reading a failed photo,
 * and beam-search alternatives on demand. The Library hands its captioning calls here.
 */
import type { Alternative, BulkQueueResult, ModelInfo } from '../../shared/api-contract.js';
import type { Emitter } from '../../shared/emitter.js';
import { UserError } from '../../shared/errors.js';
import { removeStaleThumbnailTemps } from '../../inference/thumbnail-file.js';
import { Captioners, type CaptionerFactory } from './captioners.js';
import { JobRunner } from './jobs.js';
import { ACTIVATION_JOB_KIND, SELECTION_RECAPTION_KIND } from './job-store.js';
import type { LibraryEvents } from './library-types.js';
import type { LibraryStores } from './stores.js';
import { TagDeriver } from './tag-derivation.js';

export interface CaptioningOptions {
  thumbsDir: string;
  batchSize: number;
  createCaptioner?: CaptionerFactory;
  /** Where job changes, captioned photos and warnings are reported. */
  events: Emitter<LibraryEvents>;
}

export interface QueueOptions {
  folderId?: number;
  photoIds?: number[];
  recaption?: boolean;
  /** See EnqueueOptions.again. */
  again?: boolean;
  kind?: string;
  /** See EnqueueOptions.failedAtScan. */
  failedAtScan?: number[];
}

export interface ActivateOptions {
  /** False: only make the model active (no re-captioning job). */
  recaption?: boolean;
  /** Re-caption only these photos (default: every photo whose shown model caption is another model's). */
  photoIds?: number[];
}

/** The error a call gets for an id that names nothing (the API answers 404). */
export function noSuch(what: string): never {
  throw Object.assign(new Error(`no ${what}`), { code: 'ENOENT' });
}

export class Captioning {
  readonly jobs: JobRunner;
  private readonly captioners: Captioners;
  private readonly deriver = new TagDeriver();
  private closed = false;
  /** The sweep of thumbnail temporaries started at open; close waits for it, so a short run finishes it. */
  private readonly tempSweep: Promise<number>;

  constructor(
    private readonly stores: LibraryStores,
    private readonly options: CaptioningOptions,
  ) {
    this.captioners = new Captioners(stores.models, options.createCaptioner);
    const { jobs, photos, captions, features, tags } = stores;
    const { thumbsDir, batchSize, events } = options;
    // Thumbnail writes a full disk or a kill cut short left temporary files; they go now.
    this.tempSweep = removeStaleThumbnailTemps(thumbsDir);
    this.jobs = new JobRunner(
      { jobs, photos, captions, features, tags },
      {
        deriveTags: (modelId, feature, objectCounts) => {
          const model = stores.models.get(modelId);
          return model ? this.deriver.derive(model, feature, objectCounts) : [];
        },
        thumbsDir,
        batchSize,
        captioner: (modelId) => this.captioners.get(modelId),
        onJob: (job) => events.emit('job', job),
        onPhotos: (items) => {
          const ids = items.map((i) => i.photoId);
          events.emit('captioned', items);
          events.emit('photos', ids);
        },
      },
    );
    this.retargetStaleJobs();
  }

  /**
   * Unfinished jobs pinned to a model that is no longer active (a process killed between an
   * activation and its job, or a library from before activations were one transaction) would
   * write a discarded model's captions: each is cancelled and its photos move to a job of the
   * active model, with a warning saying so (after the constructor returns, when listeners are on).
   */
  private retargetStaleJobs(): void {
    const active = this.stores.models.active();
    const stale = active ? this.jobs.unfinished().filter((job) => job.modelId !== active.id) : [];
    if (!active || stale.length === 0) return;
    let notes: string[] = [];
    try {
      this.stores.jobs.transaction(() => {
        for (const job of stale) {
          const photoIds = this.jobs.todoPhotoIds(job.id);
          this.jobs.cancel(job.id, `model ${job.modelId} is no longer active; ${active.id} is`);
          const moved = photoIds.length ? this.jobs.enqueue({ modelId: active.id, kind: job.kind, recaption: true, photoIds }) : null;
          notes.push(
            `job ${job.id} was pinned to model ${job.modelId}, which is no longer active: cancelled` +
              (moved !== null ? `; its ${photoIds.length} photos moved to job ${moved} for ${active.id}` : ''),
          );
        }
      });
    } catch (err) {
      // A library opened read-only: the jobs stay as they are (and do not run: nothing is written).
      notes = stale.map(
        (job) => `job ${job.id} is pinned to model ${job.modelId}, no longer active; left as it is: ${(err as Error).message}`,
      );
    }
    setImmediate(() => notes.forEach((n) => this.options.events.emit('warning', n)));
  }

  /** Add a model directory (holding model.json) to the registry. */
  register(dir: string, opts: { activate?: boolean; activateIfNone?: boolean }): ModelInfo {
    return this.stores.models.info(this.stores.models.register(dir, opts))!;
  }

  /**
   * Make a model the active one and, unless told not to, queue re-captioning of every photo
   * whose shown model caption is not this model's (JobStore.enqueue), so after the job every
   * non-user caption shown is the active model's. A photo that has an older caption from this
   * model (a rollback) is captioned again rather than given the old row back: the features are
   * cached, so it costs only the decoder, and there is one way a caption enters the history.
   * Unfinished jobs of other models are cancelled first: they would otherwise keep writing the
   * discarded model's captions, and their photos are then free to join the new job.
   * One transaction: a kill leaves the old model active with its jobs, or the new one with its
   * re-captioning job (kind ACTIVATION_JOB_KIND, model id = the new model), which resumes like
   * any job at the next start.
   */
  activate(id: string, opts: ActivateOptions): { model: ModelInfo; jobId: number | null } {
    if (!this.stores.models.get(id)) noSuch(`model ${id}`);
    const jobId = this.stores.jobs.transaction(() => {
      this.stores.models.activate(id);
      for (const job of this.jobs.unfinished()) if (job.modelId !== id) this.jobs.cancel(job.id, `model ${id} was activated`);
      if (opts.recaption === false) return null;
      return this.jobs.enqueue({ modelId: id, kind: ACTIVATION_JOB_KIND, recaption: true, photoIds: opts.photoIds });
    });
    if (jobId !== null) {
      this.options.events.emit('job', this.jobs.get(jobId)!);
      void this.jobs.start();
    }
    // The new model's tags from features already cached, before its job reaches each photo.
    void this.deriveStaleTags().catch((err: Error) => this.options.events.emit('warning', `tags: ${err.message}`));
    return { model: this.stores.models.info(id)!, jobId };
  }

  /** Queue captioning with the active model and start the queue (null: nothing to do, or no model). */
  queue(opts: QueueOptions): number | null {
    const model = this.stores.models.active();
    if (!model) {
      this.options.events.emit('warning', 'no caption model is installed: photos stay pending');
      return null;
    }
    const id = this.jobs.enqueue({ modelId: model.id, ...opts });
    if (id !== null) {
      this.options.events.emit('job', this.jobs.get(id)!);
      void this.jobs.start();
    }
    return id;
  }

  /** Re-read an errored (or any) photo and queue it for captioning again. */
  async retry(photoId: number): Promise<{ jobId: number | null }> {
    const { photos, writer } = this.stores;
    const r = photos.row(photoId) ?? noSuch(`photo with id ${photoId}`);
    photos.clearError(photoId);
    const res = await writer.ingest(r.folder_id, r.path);
    if (res.outcome === 'error') {
      this.options.events.emit('photos', [photoId]);
      return { jobId: null };
    }
    return { jobId: this.queue({ photoIds: [photoId] }) };
  }

  /** Read each failed photo of `photoIds` again and queue the readable ones in one job (the others are left alone). */
  async retryMany(photoIds: readonly number[]): Promise<BulkQueueResult> {
    const { photos, writer } = this.stores;
    const readable: number[] = [];
    let stillFailing = 0;
    for (const r of photos.rows([...new Set(photoIds)]).values()) {
      if (r.status !== 'error') continue;
      photos.clearError(r.id);
      if ((await writer.ingest(r.folder_id, r.path)).outcome === 'error') stillFailing++;
      else readable.push(r.id);
    }
    if (stillFailing) this.options.events.emit('photos', [...photoIds]);
    return { ...this.queued(readable.length ? this.queue({ photoIds: readable }) : null), stillFailing };
  }

  /** Caption these photos again with the active model and today's settings, in one job (user captions stay shown). */
  recaptionMany(photoIds: readonly number[]): BulkQueueResult {
    const jobId = this.queue({ photoIds: [...new Set(photoIds)], recaption: true, again: true, kind: SELECTION_RECAPTION_KIND });
    return { ...this.queued(jobId), stillFailing: 0 };
  }

  /** A queued job and how many photos it holds (none: nothing was queued). */
  private queued(jobId: number | null): { queued: number; jobId: number | null } {
    return { queued: jobId === null ? 0 : (this.jobs.get(jobId)?.total ?? 0), jobId };
  }

  /**
   * Beam-search alternatives for a photo: stored from its last model caption, or computed now
   * with another beam width (from the cached features, so without decoding the image again).
   */
  async alternatives(photoId: number, beam?: number): Promise<Alternative[]> {
    const r = this.stores.photos.row(photoId) ?? noSuch(`photo with id ${photoId}`);
    const model = this.stores.models.active();
    const stored = this.stores.captions.storedAlternatives(photoId, model?.id ?? null);
    if (stored && (beam === undefined || stored.length === beam)) return stored;
    if (!model) return stored ?? [];
    const captioner = await this.captioners.get(model.id);
    const feature = r.hash ? this.stores.features.get(r.hash, captioner.encoderId) : undefined;
    const [o] = await captioner.caption([{ id: photoId, path: r.path, feature }], { beam: beam ?? 3 });
    if (!o || !o.ok) throw new UserError(o && !o.ok ? `${o.kind}: ${o.message}` : 'no alternatives');
    return o.alternatives;
  }

  /**
   * Derive the active model's tags for captioned photos whose tags another model (or none) derived,
   * from their cached features: libraries from before tags, and a model change before its
   * re-captioning job reaches them. In slices between other work, so opening a library stays quick.
   * Photos without cached features are marked derived with no model tags (their next caption derives them).
   */
  async deriveStaleTags(slice = 200): Promise<number> {
    let derived = 0;
    for (;;) {
      const model = this.stores.models.active();
      if (!model || this.closed) return derived;
      const layout = this.deriver.layout(model);
      const stale = this.stores.tags.staleFor(model.id, slice);
      if (!stale.length) return derived;
      this.stores.jobs.transaction(() => {
        for (const p of stale) {
          const feature = layout ? this.stores.features.get(p.hash, layout.featureKey) : undefined;
          this.stores.tags.replaceModel(p.id, model.id, feature ? this.deriver.derive(model, feature) : []);
        }
      });
      derived += stale.length;
      this.options.events.emit(
        'photos',
        stale.map((p) => p.id),
      );
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  /** Let the batch in flight finish (jobs stay resumable) and close the captioner workers. */
  async close(): Promise<void> {
    this.closed = true;
    await this.jobs.stop();
    await this.captioners.closeAll();
    await this.tempSweep;
  }
}
