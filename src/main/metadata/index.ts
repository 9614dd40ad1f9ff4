/**
 * Captions that travel with the photos.
 *
 * - Per photo: `readDescriptions(path)` (what the photo and its sidecars already say) and
 *   `writeCaption(path, caption, options)` (XMP sidecar, embedded or .txt, with the ownership policy).
 * - Over a library: `importUnseenDescriptions(lib)` after a scan, `importDescriptions(lib, paths?)`
 *   on demand, `exportCaptions(lib, { target, only })` (CLI: import-metadata, export-metadata).
 * - Shutdown: `endExiftool()` (the app's host close, the CLI after a command, tests in afterAll).
 */
export { readDescriptions, captionHash, type ReadOptions } from './read.js';
export { writeCaption, decide, EMBEDDABLE_EXTENSIONS } from './write.js';
export { endExiftool, exiftoolPids, LENSCRIBE_XMP_NS } from './exiftool.js';
export {
  chooseXmpSidecar,
  detectFolderNaming,
  existingXmpSidecars,
  xmpSidecarPath,
  txtSidecarPath,
  captionSidecarPath,
  removeStaleTemps,
  photosForSidecar,
  isSidecarName,
} from './sidecars.js';
export { whyNotADescription, BOILERPLATE_EXACT, BOILERPLATE_PATTERNS } from './boilerplate.js';
export type * from './types.js';
export {
  importDescriptions,
  importUnseenDescriptions,
  exportCaptions,
  MetadataLedger,
  type MetadataLibrary,
  type ImportSummary,
  type ImportItem,
  type ExportOptions,
  type ExportSummary,
  type ExportOnly,
} from './library-sync.js';
