/**
 * One scan of a library folder: every photo file under the root is ingested (a few at a time,
 * each with its own read buffer), and photos whose file is gone are kept as 'missing'. Separate
 * from scanner.ts, which only walks the disk, and from ingest.ts, which handles one file.
 */
import { existsSync } from 'node:fs';
import { sep } from 'node:path';
import type { IngestOutcome, PhotoWriter } from './ingest.js';
import type { KeptCaptions } from './kept-captions.js';
import type { PhotoStore } from './photos.js';
import { scanFolder } from './scanner.js';

export interface ScanProgress {
  folderId: number;
  path: string;
  scanned: number;
  added: number;
  updated: number;
  moved: number;
  unchanged: number;
  errors: number;
  missing: number;
}

export interface ScanContext {
  writer: PhotoWriter;
  photos: PhotoStore;
  /** A photo new to the library gets back the captions kept from a removed folder. */
  kept: KeptCaptions;
  /** Concurrent file probes. */
  concurrency: number;
  /** True once the library is closing: the scan stops early. */
  stopped: () => boolean;
  /** Every 100 files. */
  onProgress: (progress: ScanProgress) => void;
}

function count(progress: ScanProgress, o: IngestOutcome): void {
  if (o === 'added') progress.added++;
  else if (o === 'updated') progress.updated++;
  else if (o === 'moved') progress.moved++;
  else if (o === 'unchanged') progress.unchanged++;
  else progress.errors++;
}

/** A scan's counts, and the photos whose file it could not read (the captioning job that follows counts them). */
export interface Scanned {
  scan: ScanProgress;
  /** Photos whose file failed at this scan (status 'error'), not those failing again unchanged. */
  failedIds: number[];
}

/** What one scan found: its counts, the paths whose content is new, and the photos it could not read. */
export interface ScanFound extends Scanned {
  changedPaths: string[];
}

/** Scan `scanRoot` into library folder `folderId`. */
export async function scanIntoFolder(ctx: ScanContext, folderId: number, scanRoot: string): Promise<ScanFound> {
  const progress: ScanProgress = {
    folderId,
    path: scanRoot,
    scanned: 0,
    added: 0,
    updated: 0,
    moved: 0,
    unchanged: 0,
    errors: 0,
    missing: 0,
  };
  const concurrency = Math.max(1, ctx.concurrency);
  const buffers = Array.from({ length: concurrency }, () => Buffer.allocUnsafe(1 << 20));
  const inFlight = new Set<Promise<void>>();
  const changedPaths: string[] = [];
  const failedIds: number[] = [];
  const done = (o: IngestOutcome) => {
    count(progress, o);
    if (++progress.scanned % 100 === 0) ctx.onProgress({ ...progress });
  };
  for await (const entry of scanFolder(scanRoot)) {
    if (ctx.stopped()) break;
    if (entry.type !== 'file') continue;
    while (inFlight.size >= concurrency) await Promise.race(inFlight);
    const buf = buffers.pop()!;
    const p = ctx.writer
      .ingest(folderId, entry.path, entry, buf)
      .then((r) => {
        if (r.outcome === 'added') ctx.kept.restore(r.photoId);
        if (r.outcome === 'added' || r.outcome === 'updated' || r.outcome === 'moved') changedPaths.push(entry.path);
        if (r.outcome === 'error' && r.photoId && !r.again) failedIds.push(r.photoId);
        done(r.outcome);
      })
      .catch(() => done('error'))
      .finally(() => {
        buffers.push(buf);
        inFlight.delete(p);
      });
    inFlight.add(p);
  }
  await Promise.all(inFlight);
  // Photos under the scanned root whose file is gone are kept as 'missing'. Checked against
  // the disk rather than a set of the paths just seen, so memory stays flat however big the folder.
  const prefix = scanRoot.endsWith(sep) ? scanRoot : scanRoot + sep;
  const gone: string[] = [];
  for (const path of ctx.photos.presentUnder(folderId, prefix)) if (!existsSync(path)) gone.push(path);
  for (const path of gone) if (ctx.writer.markMissing(path) !== null) progress.missing++;
  return { scan: progress, changedPaths, failedIds };
}
