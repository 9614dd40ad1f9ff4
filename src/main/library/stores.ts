/**
 * The stores over one library database. Each owns the SQL of its tables, so a question about
 * a table has one file to read:
 *   folders.ts          folders (adding one absorbs the library folders inside it)
 *   photos.ts           photos as the API reads them; ingest.ts writes rows for files on disk
 *   captions.ts         the caption history (triggers keep the shown caption)
 *   kept-captions.ts    kept_captions (the user's captions of photos whose folder was removed)
 *   model-registry.ts   models and which one is active
 *   settings.ts         settings
 *   feature-table.ts    encoder outputs by content hash
 *   job-store.ts        jobs and job_items (the captioning queue)
 *   metadata-ledger.ts  metadata_ledger (what Lenscribe knows of each photo's metadata)
 *   search.ts           the full-text index photos_fts
 *   tags.ts             tags and tag_derivations (what is in each photo, the model's and the user's)
 * Nothing outside src/main/library touches library.db; it calls these.
 */
import { CaptionStore } from './captions.js';
import type { DB } from './db.js';
import { FeatureTable } from './feature-table.js';
import { FolderStore } from './folders.js';
import { PhotoWriter } from './ingest.js';
import { JobStore } from './job-store.js';
import { KeptCaptions } from './kept-captions.js';
import { MetadataLedger } from './metadata-ledger.js';
import { ModelRegistry } from './model-registry.js';
import { PhotoStore } from './photos.js';
import { Searcher } from './search.js';
import { SettingsStore } from './settings.js';
import { TagStore } from './tags.js';

export interface LibraryStores {
  readonly folders: FolderStore;
  readonly photos: PhotoStore;
  readonly writer: PhotoWriter;
  readonly captions: CaptionStore;
  readonly kept: KeptCaptions;
  readonly models: ModelRegistry;
  readonly settings: SettingsStore;
  readonly features: FeatureTable;
  readonly jobs: JobStore;
  readonly ledger: MetadataLedger;
  readonly searcher: Searcher;
  readonly tags: TagStore;
}

export function openStores(db: DB): LibraryStores {
  return {
    folders: new FolderStore(db),
    photos: new PhotoStore(db),
    writer: new PhotoWriter(db),
    captions: new CaptionStore(db),
    kept: new KeptCaptions(db),
    models: new ModelRegistry(db),
    settings: new SettingsStore(db),
    features: new FeatureTable(db),
    jobs: new JobStore(db),
    ledger: new MetadataLedger(db),
    searcher: new Searcher(db),
    tags: new TagStore(db),
  };
}
