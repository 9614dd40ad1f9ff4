/**
 * The models table: which caption models the library knows, by id, and which one is active
 * (at most one: a unique index). Manifests are read through src/model/model-dir.ts; a model's
 * files are never checked here (captioning does that when it loads them).
 */
import { basename, join, resolve } from 'node:path';
import type { ModelInfo } from '../../shared/api-contract.js';
import { UserError } from '../../shared/errors.js';
import { MANIFEST_FILE, loadModelDir, type ModelManifest } from '../../model/model-dir.js';
import type { DB } from './db.js';
import { toIso } from './photos.js';

export interface ModelRecord {
  id: string;
  name: string;
  path: string;
  active: boolean;
}

/** The manifest of a model directory (shape checked, files not hashed). */
export function readManifest(dir: string): ModelManifest {
  return loadModelDir(dir, { verify: false }).manifest;
}

/**
 * A model's id names its exact weights (`<name>@<sha256 prefix of the decoder weights>`), so a
 * retrained model with the same name is a new caption source and re-captioning happens.
 */
export function modelIdOf(manifest: ModelManifest, fallback: string): string {
  const name = String(manifest.name ?? fallback);
  const sha = manifest.files[manifest.decoder.weights]?.sha256;
  return sha ? `${name}@${sha.slice(0, 12)}` : name;
}

export class ModelRegistry {
  constructor(private readonly db: DB) {}

  /** Add (or update) a model directory; `activate` makes it active, `activateIfNone` only when none is. */
  register(dir: string, opts: { activate?: boolean; activateIfNone?: boolean } = {}): string {
    const path = resolve(dir);
    let manifest: ModelManifest;
    try {
      manifest = readManifest(path);
    } catch (err) {
      throw new UserError(`not a caption model directory (${join(path, MANIFEST_FILE)}: ${(err as Error).message})`);
    }
    const id = modelIdOf(manifest, basename(path));
    const name = String(manifest.name ?? id);
    this.db.transaction(() => {
      this.db
        .prepare(
          'INSERT INTO models (id, name, path, added_at) VALUES (?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET name = excluded.name, path = excluded.path',
        )
        .run(id, name, path, Date.now());
      const anyActive = this.db.prepare('SELECT 1 FROM models WHERE active = 1').get();
      if (opts.activate || (opts.activateIfNone && !anyActive)) this.setActive(id);
    })();
    return id;
  }

  list(): ModelInfo[] {
    const rows = this.db.prepare('SELECT id, name, path, active, added_at FROM models ORDER BY added_at').all() as Array<{
      id: string;
      name: string;
      path: string;
      active: number;
      added_at: number;
    }>;
    return rows.map((r) => {
      let manifest: ModelManifest | null = null;
      try {
        manifest = readManifest(r.path);
      } catch {
        // A model folder that went away still lists; captioning with it fails with a clear error.
      }
      const metrics: Record<string, number> = {};
      for (const [k, v] of Object.entries(manifest?.metrics ?? {})) if (typeof v === 'number' && Number.isFinite(v)) metrics[k] = v;
      const created = manifest?.date;
      return {
        id: r.id,
        name: r.name,
        active: r.active === 1,
        createdAt: typeof created === 'string' ? created : toIso(r.added_at),
        metrics,
      };
    });
  }

  info(id: string): ModelInfo | undefined {
    return this.list().find((m) => m.id === id);
  }

  active(): ModelRecord | null {
    const r = this.db.prepare('SELECT id, name, path FROM models WHERE active = 1').get() as
      { id: string; name: string; path: string } | undefined;
    return r ? { ...r, active: true } : null;
  }

  get(id: string): ModelRecord | null {
    const r = this.db.prepare('SELECT id, name, path, active FROM models WHERE id = ?').get(id) as
      { id: string; name: string; path: string; active: number } | undefined;
    return r ? { ...r, active: r.active === 1 } : null;
  }

  /** Make `id` the one active model. */
  activate(id: string): void {
    this.db.transaction(() => this.setActive(id))();
  }

  /** Drop a model that is not active from the registry (its files stay). */
  removeInactive(id: string): void {
    this.db.prepare('DELETE FROM models WHERE id = ? AND active = 0').run(id);
  }

  private setActive(id: string): void {
    this.db.prepare('UPDATE models SET active = 0 WHERE active = 1').run();
    this.db.prepare('UPDATE models SET active = 1 WHERE id = ?').run(id);
  }
}
