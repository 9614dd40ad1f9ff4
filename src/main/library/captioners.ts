/**
 * One captioner per model, created on first use and kept (each holds an encoder and decoder in
 * a worker thread, slow to start). Separate from the registry: the registry is rows in
 * library.db, this is live worker threads that must be closed.
 */
import type { Captioner } from '../../inference/caption-pipeline.js';
import { UserError } from '../../shared/errors.js';
import type { ModelRecord, ModelRegistry } from './model-registry.js';

export type CaptionerFactory = (model: ModelRecord) => Promise<Captioner>;

/** The encoder+decoder worker pipeline, imported lazily so opening a library does not load onnxruntime. */
async function openPipeline(model: ModelRecord): Promise<Captioner> {
  const { openCaptioner } = await import('../../inference/caption-pipeline.js');
  return openCaptioner(model.path, model.id);
}

export class Captioners {
  private readonly open = new Map<string, Promise<Captioner>>();

  constructor(
    private readonly models: ModelRegistry,
    private readonly create: CaptionerFactory = openPipeline,
  ) {}

  /** The captioner of a registered model (a failed start is forgotten, so the next call tries again). */
  get(modelId: string): Promise<Captioner> {
    let c = this.open.get(modelId);
    if (!c) {
      const model = this.models.get(modelId);
      if (!model)
        return Promise.reject(new UserError(modelId ? `caption model ${modelId} is not installed` : 'no caption model is installed'));
      c = this.create(model);
      c.catch(() => this.open.delete(modelId));
      this.open.set(modelId, c);
    }
    return c;
  }

  async closeAll(): Promise<void> {
    for (const c of this.open.values()) {
      try {
        await (await c).close();
      } catch {
        // a captioner that never started has nothing to close
      }
    }
    this.open.clear();
  }
}
