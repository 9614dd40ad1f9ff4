/**
 * The one ExifTool (perl, stay-open) process pool Lenscribe uses, started on first use and ended
 * by `endExiftool()` (the app on quit, the CLI when a command finishes, tests in afterAll).
 * It loads a config that defines Lenscribe's XMP namespace, so writes can mark their captions.
 */
import { createHash } from 'node:crypto';
import { existsSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExifTool } from 'exiftool-vendored';

export const LENSCRIBE_XMP_NS = 'https://lenscribe.app/ns/xmp/1.0/';

/**
 * XMP-lenscribe tags: CaptionSource (user|model), CaptionHash (sha256 of the dc:description
 * x-default we wrote: a later edit by another app no longer matches), CaptionModel, CaptionWritten.
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
);
1;
`;

/** Content-addressed, so concurrent Lenscribe processes agree on the file without racing. */
function configPath(): string {
  const path = join(tmpdir(), `lenscribe-exiftool-${createHash('sha256').update(CONFIG).digest('hex').slice(0, 12)}.config`);
  if (!existsSync(path)) {
    const tmp = `${path}.${process.pid}.tmp`;
    writeFileSync(tmp, CONFIG);
    renameSync(tmp, path);
  }
  return path;
}

let instance: ExifTool | undefined;

export function exiftool(): ExifTool {
  if (!instance || instance.ended) {
    instance = new ExifTool({
      maxProcs: 2,
      exiftoolArgs: ['-config', configPath(), '-stay_open', 'True', '-@', '-'],
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
}

/** Pids of the running ExifTool processes (tests check that none outlive `endExiftool`). */
export function exiftoolPids(): number[] {
  return instance && !instance.ended ? instance.batchCluster.pids() : [];
}
