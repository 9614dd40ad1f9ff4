/**
 * The one ExifTool (perl, stay-open) process pool Lenscribe uses, started on first use and ended
 * by `endExiftool()` (the app on quit, the CLI when a command finishes, tests in afterAll).
 * It loads a config that defines Lenscribe's XMP namespace, so writes can mark their captions,
 * and that ends each ExifTool when the process that started it is gone, even killed.
 */
import { existsSync, lstatSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExifTool } from 'exiftool-vendored';
import { isProcessAlive } from '../../shared/process-alive.js';

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
# A killed parent runs no exit handler, and at the end of its input -stay_open polls for more
# forever: a detached watcher (forked twice, so ExifTool reaps the middle one at once) checks
# every second and ends this ExifTool once the process that started it is gone.
if ($^O ne 'MSWin32' and $ENV{LENSCRIBE_PARENT_PID}) {
    require POSIX;
    my ($app, $me) = ($ENV{LENSCRIBE_PARENT_PID}, $$);
    my $gone = sub {
        return 1 unless kill(0, $app);
        # A killed parent may linger unreaped (kill 0 still succeeds): Linux tells who our parent is now.
        open(my $stat, '<', "/proc/$me/stat") or return 0;
        my $line = <$stat>;
        return ($line =~ /\\)\\s+\\S+\\s+(\\d+)/ and $1 != $app) ? 1 : 0;
    };
    my $pid = fork();
    if (defined $pid and $pid == 0) {
        POSIX::_exit(0) if fork();
        POSIX::setsid();
        open(STDIN, '<', '/dev/null');
        open(STDOUT, '>', '/dev/null');
        open(STDERR, '>', '/dev/null');
        while (kill(0, $me)) {
            if ($gone->()) {
                kill('INT', $me);   # ExifTool's own handler removes a half-written file
                sleep 5;
                kill('KILL', $me) if kill(0, $me);
                last;
            }
            sleep 1;
        }
        POSIX::_exit(0);
    }
    waitpid($pid, 0) if $pid;
}
1;
`;

/**
 * The config is perl that ExifTool runs, so it lives in a folder only this process's user can
 * write (mkdtemp makes it 0700), never at a guessable shared path someone else could plant.
 * Re-created if a temp cleaner removed it (ExifTool processes restart every few hundred tasks).
 */
let configDir: string | undefined;
let instance: ExifTool | undefined;

/** Config folders are named for the process that made them: `lenscribe-exiftool-<pid>-XXXXXX`. */
const CONFIG_DIR_PREFIX = 'lenscribe-exiftool-';
/** Folders named before they carried a pid are stale once this old (ms). */
const UNNAMED_STALE_MS = 24 * 3600_000;

/** Remove the config folders of processes that are gone (a killed process never ran endExiftool); only this user's. */
export function removeStaleConfigDirs(): void {
  const tmp = tmpdir();
  for (const name of readdirSync(tmp)) {
    if (!name.startsWith(CONFIG_DIR_PREFIX)) continue;
    const path = join(tmp, name);
    try {
      const st = lstatSync(path);
      if (!st.isDirectory() || (process.getuid && st.uid !== process.getuid())) continue;
      const pid = /^(\d+)-/.exec(name.slice(CONFIG_DIR_PREFIX.length))?.[1];
      const stale = pid ? Number(pid) !== process.pid && !isProcessAlive(Number(pid)) : Date.now() - st.mtimeMs > UNNAMED_STALE_MS;
      if (stale) rmSync(path, { recursive: true, force: true });
    } catch {
      // removed meanwhile, or not ours to remove
    }
  }
}

function configPath(): string {
  if (!configDir || !existsSync(configDir)) {
    if (!configDir) removeStaleConfigDirs();
    configDir = mkdtempSync(join(tmpdir(), `${CONFIG_DIR_PREFIX}${process.pid}-`));
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
      // For the config's watcher: the process whose end ends ExifTool.
      exiftoolEnv: { LENSCRIBE_PARENT_PID: String(process.pid) },
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
