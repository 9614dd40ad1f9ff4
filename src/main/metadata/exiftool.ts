/**
 * The one ExifTool (perl, stay-open) process pool Lenscribe uses, started on first use and ended
 * by `endExiftool()` (the app on quit, the CLI when a command finishes, tests in afterAll).
 * It loads a config that defines Lenscribe's XMP namespace, so writes can mark their captions.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExifTool } from 'exiftool-vendored';

export const LENSCRIBE_XMP_NS = 'https://lenscribe.app/ns/xmp/1.0/';

/**
 * XMP-lenscribe tags: CaptionSource (user|model), CaptionHash (sha256 of the dc:description
 * x-default we wrote: a later edit by another app no longer matches), CaptionModel, CaptionWritten,
 * and Keywords (the dc:subject / IPTC keywords Lenscribe put there, so it only ever takes back its own).
 */
const CONFIG = `# Lenscribe's XMP namespace (generated; do not edit)
%Image::ExifTool::UserDefined = (
    'Image::ExifTool::XMP::Main' => {
        lenscribe => { SubDirectory => { TagTable => 'Image::ExifTool::UserDefined::lenscribe' } },
    },
);
%Image::ExifTool::UserDefined::lenscribe = (
    GROUPS => { 0 => 'XMP', 1 => 'XMP-lenscribe', 2 => 'Image' },
    NAMESPACE => { 'lenscribe' => '${LENSCRIBE_XMP_NS}' },
    WRITABLE => 'string',
    CaptionSource => { },
    CaptionHash => { },
    CaptionModel => { },
    CaptionWritten => { },
    Keywords => { List => 'Bag' },
);
1;
`;

/**
 * The config is perl that ExifTool runs, so it lives in a folder only this process's user can
 * write (mkdtemp makes it 0700), never at a guessable shared path someone else could plant.
 * Re-created if a temp cleaner removed it (ExifTool processes restart every few hundred tasks).
 */
let configDir: string | undefined;
let instance: ExifTool | undefined;

function configPath(): string {
  if (!configDir || !existsSync(configDir)) {
    configDir = mkdtempSync(join(tmpdir(), 'lenscribe-exiftool-'));
    // Processes of a running pool would restart with the vanished path: start a fresh pool.
    if (instance && !instance.ended) void instance.end();
    instance = undefined;
  }
  const path = join(configDir, 'lenscribe.config');
  if (!existsSync(path)) writeFileSync(path, CONFIG, { mode: 0o600 });
  return path;
}

export function exiftool(): ExifTool {
  const config = configPath();
  if (!instance || instance.ended) {
    instance = new ExifTool({
      maxProcs: 2,
      exiftoolArgs: ['-config', config, '-stay_open', 'True', '-@', '-'],
      taskTimeoutMillis: 60_000,
      // Geolocation lookups and timezone inference are for dates; we only touch descriptions.
      geolocation: false,
    });
  }
  return instance;
}

/** Stop the perl processes. Safe to call when none were started. */
export async function endExiftool(): Promise<void> {
  const et = instance;
  instance = undefined;
  if (et && !et.ended) await et.end();
  if (configDir) rmSync(configDir, { recursive: true, force: true });
  configDir = undefined;
}

/** Pids of the running ExifTool processes (tests check that none outlive `endExiftool`). */
export function exiftoolPids(): number[] {
  return instance && !instance.ended ? instance.batchCluster.pids() : [];
}
