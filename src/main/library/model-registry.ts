/**
 * The models table: which caption models the library knows, by id, and which one is active
 * (at most one: a unique index). Manifests are read through src/model/model-dir.ts; a model's
 * files are never checked here (captioning does that when it loads them).
 * `scoreSets()` groups the models' stored caption scores by the photos they were measured on:
 * figures from different photo sets are never put side by side.
 */
import { readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import type { ModelInfo, TeachScores } from '../../shared/api-contract.js';
import { UserError } from '../../shared/errors.js';
import { MANIFEST_FILE, loadModelDir, type ModelManifest } from '../../model/model-dir.js';
import { REPLAY_FILE, TEACH_FILE } from '../../training/teach.js';
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

/** Caption scores of several models on one set of photos (with one decoding): the only figures that compare. */
export interface ScoreSet {
  /** What the photos are: "Flickr8k val, 328 photos" or "your 4 held-back photos, taught into mine@…". */
  photos: string;
  images: number;
  /** "beam 3" or "greedy". */
  decoding: string;
  /** In the registry's order; CIDEr-D on coco's scale. */
  scores: Array<{ modelId: string; cider: number; bleu4: number | null }>;
}

/** What models list reads of teach.json (src/training/teach.ts writes it into a taught model's folder). */
interface TeachRecord {
  base?: { name?: string; dir?: string; baseModelId?: string };
  metrics?: { user?: { before?: TeachScores; after?: TeachScores }; base?: { before?: TeachScores; after?: TeachScores } | null };
}

function readTeachRecord(dir: string): TeachRecord | null {
  try {
    return JSON.parse(readFileSync(join(dir, TEACH_FILE), 'utf8')) as TeachRecord;
  } catch {
    return null; // not a taught model, or its teach.json went away: no teach figures
  }
}

const isScore = (s: TeachScores | undefined): s is TeachScores => typeof s?.cider === 'number' && Number.isFinite(s.cider);
const round4 = (x: number) => Math.round(x * 1e4) / 1e4;

/** Collects scores into sets by key; a model scores once per set (the first figure found). */
class ScoreSets {
  private readonly sets = new Map<string, ScoreSet>();

  add(key: string, set: Omit<ScoreSet, 'scores'>, modelId: string, s: { cider: number; bleu4?: number | null }): void {
    let entry = this.sets.get(key);
    if (!entry) this.sets.set(key, (entry = { ...set, scores: [] }));
    if (entry.scores.some((x) => x.modelId === modelId)) return;
    const bleu4 = typeof s.bleu4 === 'number' && Number.isFinite(s.bleu4) ? round4(s.bleu4) : null;
    entry.scores.push({ modelId, cider: round4(s.cider), bleu4 });
  }

  list(order: string[]): ScoreSet[] {
    const rank = (id: string) => order.indexOf(id);
    return [...this.sets.values()].map((set) => ({ ...set, scores: [...set.scores].sort((a, b) => rank(a.modelId) - rank(b.modelId)) }));
  }
}

/** A model `lenscribe train` made: its figures on its dataset's validation photos (same data, split and count = same photos). */
function addTrainedScores(sets: ScoreSets, id: string, m: ModelManifest): void {
  const v = m.metrics;
  if (!v || typeof v.cider !== 'number' || !Number.isFinite(v.cider)) return;
  const decoding = (v.beam ?? 1) > 1 ? `beam ${v.beam}` : 'greedy';
  const key = `trained|${m.training.data.name}|${v.split}|${v.images}|${decoding}|${v.noRepeatNgram ?? 0}`;
  sets.add(key, { photos: `${m.training.data.name} val, ${v.images} photos`, images: v.images, decoding }, id, v);
}

/**
 * A taught model: teach measured it and the model it started from on the same photos twice — the
 * user's held-back photos, and the base model's validation photos from the replay set (greedy both).
 */
function addTaughtScores(sets: ScoreSets, id: string, m: ModelManifest, teach: TeachRecord, baseId: string | null): void {
  const { user, base } = teach.metrics ?? {};
  if (isScore(user?.after)) {
    const set = { photos: `your ${user.after.images} held-back photos, taught into ${id}`, images: user.after.images, decoding: 'greedy' };
    if (baseId && isScore(user.before)) sets.add(`held-back|${id}`, set, baseId, user.before);
    sets.add(`held-back|${id}`, set, id, user.after);
  }
  if (base && isScore(base.after)) {
    // The replay set travels with each taught model (copied verbatim from its base): its hash names the photos.
    const replay = m.files[REPLAY_FILE]?.sha256 ?? `of ${id}`;
    const key = `replay|${replay}|${base.after.images}`;
    const set = { photos: `${m.training.data.name} val, ${base.after.images} photos`, images: base.after.images, decoding: 'greedy' };
    if (baseId && isScore(base.before)) sets.add(key, set, baseId, base.before);
    sets.add(key, set, id, base.after);
  }
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

  /** Every stored caption score, grouped by the photos (and decoding) it was measured on. */
  scoreSets(): ScoreSet[] {
    const rows = this.db.prepare('SELECT id, path FROM models ORDER BY added_at').all() as Array<{ id: string; path: string }>;
    const sets = new ScoreSets();
    const taught: Array<{ id: string; m: ModelManifest; teach: TeachRecord }> = [];
    for (const r of rows) {
      let m: ModelManifest;
      try {
        m = readManifest(r.path);
      } catch {
        continue; // a model folder that went away has no figures
      }
      const teach = readTeachRecord(r.path);
      // A taught model's own metrics are its held-back photos' (teach.json has them with its base's, on the same photos).
      if (teach) taught.push({ id: r.id, m, teach });
      else if (m.training.options?.finetunedFrom === undefined) addTrainedScores(sets, r.id, m);
    }
    const idAt = new Map(rows.map((r) => [resolve(r.path), r.id]));
    for (const { id, m, teach } of taught) {
      const named = teach.base?.baseModelId ?? m.training.options?.baseModelId;
      const baseId =
        typeof named === 'string' && rows.some((r) => r.id === named)
          ? named
          : teach.base?.dir
            ? (idAt.get(resolve(teach.base.dir)) ?? null)
            : null;
      addTaughtScores(sets, id, m, teach, baseId);
    }
    return sets.list(rows.map((r) => r.id));
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
