/**
 * The features table: encoder outputs for the library's photos, keyed by content hash and
 * encoder id, so duplicates and re-captioning (or teaching) never encode a photo twice. Not the
 * dataset feature cache of src/inference/feature-cache.ts: these live in library.db with the
 * photos they describe. A vector is what the caption pipeline stores for a model (its key is
 * storedFeatureKey in src/inference/caption-pipeline.ts): the model's feature outputs, then, for a
 * model with a concept output, the photo's concept scores (the K values after the features).
 */
import type { DB } from './db.js';

function toFloats(data: Buffer): Float32Array {
  return new Float32Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
}

function toBytes(feature: Float32Array): Buffer {
  return Buffer.from(feature.buffer, feature.byteOffset, feature.byteLength);
}

export class FeatureTable {
  constructor(private readonly db: DB) {}

  get(hash: string, encoderId: string): Float32Array | undefined {
    const hit = this.db.prepare('SELECT data FROM features WHERE hash = ? AND encoder_id = ?').get(hash, encoderId) as
      { data: Buffer } | undefined;
    return hit ? toFloats(hit.data) : undefined;
  }

  /** Keep a feature (the first one stored for a content and encoder stays). */
  put(hash: string, encoderId: string, feature: Float32Array, now = Date.now()): void {
    this.db
      .prepare('INSERT OR IGNORE INTO features (hash, encoder_id, dim, data, created_at) VALUES (?, ?, ?, ?, ?)')
      .run(hash, encoderId, feature.length, toBytes(feature), now);
  }

  /** The feature of a photo's current content, if cached. */
  ofPhoto(photoId: number, encoderId: string): Float32Array | undefined {
    const hit = this.db
      .prepare('SELECT f.data FROM features f JOIN photos p ON p.hash = f.hash WHERE p.id = ? AND f.encoder_id = ?')
      .get(photoId, encoderId) as { data: Buffer } | undefined;
    return hit ? toFloats(hit.data) : undefined;
  }

  /** Keep a feature for a photo's current content (nothing when the photo has no hash). */
  putForPhoto(photoId: number, encoderId: string, feature: Float32Array): void {
    this.db
      .prepare(
        'INSERT OR IGNORE INTO features (hash, encoder_id, dim, data, created_at) SELECT hash, ?, ?, ?, ? FROM photos WHERE id = ? AND hash IS NOT NULL',
      )
      .run(encoderId, feature.length, toBytes(feature), Date.now(), photoId);
  }
}
