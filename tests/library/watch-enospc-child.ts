/**
 * Run by watch-bounds.test.ts inside a user namespace whose inotify watches are capped below the
 * tree (`unshare -Ur`, /proc/sys/user/max_inotify_watches): the kernel's own ENOSPC, not a lowered
 * option. Watches the library given, drops a photo in, prints one JSON line of what happened.
 */
import { join } from 'node:path';
import { Library } from '../../src/main/library/library.js';
import { writeJpeg } from './fixtures.js';

const [libDir, photos] = process.argv.slice(2);
const lib = Library.open(libDir, { registerDefaultModel: false, autoCaption: false, importMetadata: false });
const warnings: string[] = [];
lib.on('warning', (w) => warnings.push(w));
await lib.watch({ rescanEveryMs: 1000, settleMs: 100, debounceMs: 50 });
const watch = lib.listFolders()[0].watch;
const fresh = join(photos, 'event-3', 'NEW.jpg');
await writeJpeg(fresh, 91);
const t0 = Date.now();
while (lib.photoIdByPath(fresh) === null && Date.now() - t0 < 60_000) await new Promise((r) => setTimeout(r, 50));
console.log(JSON.stringify({ watch, warnings, pickedUp: lib.photoIdByPath(fresh) !== null }));
await lib.close();
