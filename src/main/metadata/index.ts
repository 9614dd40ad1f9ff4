/**
 * Captions that travel with the photos. The library calls `readDescriptions` on ingest and
 * `writeCaption` on write/export; the app and the CLI call `endExiftool` on shutdown.
 */
export { readDescriptions, captionHash, type ReadOptions } from './read.js';
export { writeCaption, decide, EMBEDDABLE_EXTENSIONS } from './write.js';
export { endExiftool, exiftoolPids, LENSCRIBE_XMP_NS } from './exiftool.js';
export { chooseXmpSidecar, detectFolderNaming, existingXmpSidecars, xmpSidecarPath, txtSidecarPath, captionSidecarPath, removeStaleTemps } from './sidecars.js';
export { whyNotADescription, BOILERPLATE_EXACT, BOILERPLATE_PATTERNS } from './boilerplate.js';
export type * from './types.js';
export { importDescriptions, importUnseenDescriptions, exportCaptions, MetadataLedger, type MetadataLibrary, type ImportSummary, type ImportItem, type ExportOptions, type ExportSummary, type ExportOnly } from './library-sync.js';
