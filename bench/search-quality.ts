/**
 * `npm run bench -- search-quality`: how well search finds photos by what is in them (issue 19).
 * Captions ../shared/datasets/coco-dev/ (150 COCO photos, 5 human references each) with the
 * default model into a fresh library (tags derived as the app derives them), then searches as a
 * new user would (the word typed, expansion on as by default) and prints one JSON line per query set:
 * mean average precision (AP over the first 1000 hits) of
 *   - ours: captions and tags, one ranked list;
 *   - peer: captions only (tags left out), same run, same library, expansion on;
 *   - captions only without expansion.
 * Query sets (the word lists, relevance as the issue defines it):
 *   - objects: the caption word of each COCO-80 category (visual-concepts' cocoConcept: "ball",
 *     "table", "phone", …); relevant = photos that at least 2 references name it for (coco-objects'
 *     objectMentions, synonyms and plurals included);
 *   - settings: SETTING_WORDS below (scene concepts); relevant = photos that at least 2 references
 *     name it for (caption-concepts' reading, its words and plurals; a lake also names water).
 * Queries with fewer than 3 relevant photos are left out; the lines list the queries kept.
 * Targets: objects mAP >= 0.50, settings mAP >= 0.35.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { datasetPath, defaultModelDir } from '../src/shared/paths.js';
import { Library } from '../src/main/library/library.js';
import { objectMentions } from '../src/model/concepts/coco-objects.js';
import { conceptsFromCaption } from '../src/model/concepts/caption-concepts.js';
import { cocoConcept, conceptIndex, type VisualConcept } from '../src/model/concepts/visual-concepts.js';
import { tokenizeCaption } from '../src/training/metrics/tokenize.js';

const DATASET = resolve(process.env.BENCH_COCO_DEV ?? datasetPath('coco-dev'));
/** Scene words: the concept map's scenes (visual-concepts.ts) and water and building. */
export const SETTING_WORDS: readonly VisualConcept[] = [
  'beach', 'ocean', 'lake', 'river', 'sand', 'mountain', 'snow', 'rock', 'field', 'grass', 'street', 'kitchen',
  'bathroom', 'store', 'restaurant', 'bridge', 'dock', 'water', 'building', 'fence', 'wall', 'flower', 'sign',
]; // prettier-ignore
const MIN_REFERENCES = 2;
const MIN_RELEVANT = 3;

interface Item {
  file: string;
  captions: string[];
}

function averagePrecision(ranked: readonly string[], relevant: ReadonlySet<string>): number {
  let hits = 0;
  let sum = 0;
  ranked.forEach((f, i) => {
    if (!relevant.has(f)) return;
    hits++;
    sum += hits / (i + 1);
  });
  return sum / relevant.size;
}

function relevantSets(items: readonly Item[]): { objects: Map<string, Set<string>>; settings: Map<string, Set<string>> } {
  const objects = new Map<string, Set<string>>();
  const settings = new Map<string, Set<string>>();
  for (const it of items) {
    const name = basename(it.file);
    const objectVotes = new Map<string, number>();
    const settingVotes = new Map<string, number>();
    for (const ref of it.captions) {
      for (const o of new Set(objectMentions(tokenizeCaption(ref)).map((m) => cocoConcept(m.object))))
        objectVotes.set(o, (objectVotes.get(o) ?? 0) + 1);
      const concepts = conceptsFromCaption(ref);
      for (const w of SETTING_WORDS) if (concepts.has(conceptIndex(w))) settingVotes.set(w, (settingVotes.get(w) ?? 0) + 1);
    }
    for (const [votes, into] of [
      [objectVotes, objects],
      [settingVotes, settings],
    ] as const) {
      for (const [w, n] of votes) if (n >= MIN_REFERENCES) into.set(w, (into.get(w) ?? new Set()).add(name));
    }
  }
  const keep = (m: Map<string, Set<string>>) =>
    new Map([...m].filter(([, s]) => s.size >= MIN_RELEVANT).sort(([a], [b]) => a.localeCompare(b)));
  return { objects: keep(objects), settings: keep(settings) };
}

type Mode = 'ours' | 'captions' | 'captions-no-expansion';

function mapOf(lib: Library, queries: Map<string, Set<string>>, mode: Mode): { map: number; perQuery: Record<string, number> } {
  const perQuery: Record<string, number> = {};
  for (const [q, relevant] of queries) {
    const r = lib.search(q, { limit: 1000, similarWords: mode !== 'captions-no-expansion', tags: mode === 'ours' });
    perQuery[q] = +averagePrecision(
      r.hits.map((h) => h.photo.name),
      relevant,
    ).toFixed(4);
  }
  const values = Object.values(perQuery);
  return { map: +(values.reduce((a, b) => a + b, 0) / Math.max(1, values.length)).toFixed(4), perQuery };
}

const items = readFileSync(join(DATASET, 'captions.jsonl'), 'utf8')
  .split('\n')
  .filter((l) => l.trim())
  .map((l) => JSON.parse(l) as Item);
const { objects, settings } = relevantSets(items);
const dir = process.env.KEEP_DIR ?? mkdtempSync(join(tmpdir(), 'lenscribe-bench-search-quality-'));
try {
  const t0 = performance.now();
  const lib = Library.open(join(dir, 'lib'), { registerDefaultModel: false, importMetadata: false });
  lib.registerModel(defaultModelDir, { activate: true });
  await lib.addFolder(join(DATASET, 'images'));
  await lib.runJobs();
  await lib.expansionReady();
  const captionSeconds = (performance.now() - t0) / 1000;
  const captioned = lib.listPhotos({ status: 'captioned', limit: 1 }).total;
  const tagged = (lib.db.prepare(`SELECT count(DISTINCT photo_id) AS n FROM tags WHERE kind = 'model'`).get() as { n: number }).n;
  for (const [set, queries, target] of [
    ['objects', objects, 0.5],
    ['settings', settings, 0.35],
  ] as const) {
    const ours = mapOf(lib, queries, 'ours');
    const peer = mapOf(lib, queries, 'captions');
    const bare = mapOf(lib, queries, 'captions-no-expansion');
    console.log(
      JSON.stringify({
        bench: 'search-quality',
        set,
        queries: queries.size,
        words: [...queries.keys()],
        map: ours.map,
        target_map: target,
        peer: 'captions-only search (tags left out), same library and run, expansion on',
        peer_map: peer.map,
        ratio: +(ours.map / Math.max(1e-9, peer.map)).toFixed(3),
        captions_no_expansion_map: bare.map,
        per_query: ours.perQuery,
        peer_per_query: peer.perQuery,
        photos: items.length,
        captioned,
        tagged,
        caption_s: +captionSeconds.toFixed(1),
        model: lib.activeModel()?.name ?? null,
      }),
    );
  }
  await lib.close();
} finally {
  if (!process.env.KEEP_DIR) rmSync(dir, { recursive: true, force: true });
}
