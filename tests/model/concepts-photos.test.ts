/**
 * Concept scores of real photos from the real encoders (ResNet-50 int8's ImageNet softmax and the
 * CenterNet detector's per-class maxima), against the concepts the photos' own captions agree on
 * (named by at least 3 of the 5 coco-dev references). Prints precision and recall at score >= 0.5 for
 * the combination and for each source alone.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEncoder, type Encoder } from '../../src/inference/encoder/encoder.js';
import { encoderDir } from '../../src/inference/encoder/card.js';
import { conceptsFromCaption } from '../../src/model/concepts/caption-concepts.js';
import { conceptScores, type ConceptEvidence } from '../../src/model/concepts/concept-scores.js';
import { conceptIndex, VISUAL_CONCEPTS, type VisualConcept } from '../../src/model/concepts/visual-concepts.js';
import { datasetPath } from '../../src/shared/paths.js';

const COCO_DEV = datasetPath('coco-dev');
const FLICKR8K = datasetPath('flickr8k');
/** Flickr8k subjects (the default decoder's "dog" for everything), photos per subject. */
const SUBJECTS: VisualConcept[] = ['dog', 'horse', 'bird', 'beach', 'snow', 'mountain', 'water'];
const PER_SUBJECT = 8;
const PHOTOS = 100;
const THRESHOLD = 0.5;
const ready = [
  join(COCO_DEV, 'captions.jsonl'),
  ...['resnet50_int8', 'mobilenet_v3_centernet'].map((n) => join(encoderDir(n), 'encoder.onnx')),
].every((f) => existsSync(f));

interface Photo {
  file: string;
  captions: string[];
}

/** Concepts named by at least 3 of a photo's captions. */
function consensus(captions: readonly string[]): Set<number> {
  const counts = new Map<number, number>();
  for (const c of captions) for (const k of conceptsFromCaption(c)) counts.set(k, (counts.get(k) ?? 0) + 1);
  return new Set([...counts].filter(([, n]) => n >= 3).map(([k]) => k));
}

class Tally {
  hits = 0;
  predicted = 0;
  truths = 0;
  add(scores: Float32Array, truth: Set<number>): void {
    const predicted = [...scores.keys()].filter((k) => scores[k]! >= THRESHOLD);
    this.predicted += predicted.length;
    this.hits += predicted.filter((k) => truth.has(k)).length;
    this.truths += truth.size;
  }
  get precision(): number {
    return this.hits / this.predicted;
  }
  get recall(): number {
    return this.hits / this.truths;
  }
}

describe.skipIf(!ready)('concept scores of coco-dev photos', () => {
  let imagenet: Encoder;
  let detector: Encoder;
  const evidence = new Map<string, ConceptEvidence>();
  const photos = readFileSync(join(COCO_DEV, 'captions.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .slice(0, PHOTOS)
    .map((l) => JSON.parse(l) as Photo);

  beforeAll(async () => {
    imagenet = await openEncoder({ name: 'resnet50_int8', provider: 'cpu', log: () => {} });
    detector = await openEncoder({ name: 'mobilenet_v3_centernet', provider: 'cpu', log: () => {} });
    for (const { file } of photos) evidence.set(file, await encode(join(COCO_DEV, file)));
  }, 60_000);
  async function encode(path: string): Promise<ConceptEvidence> {
    const probs = await imagenet.encodeTensors((await imagenet.preparePhoto(path, { thumbnail: false })).input, 1, ['probs']);
    const objects = await detector.encodeTensors((await detector.preparePhoto(path, { thumbnail: false })).input, 1, ['objects']);
    return { imagenet: probs.probs!, detector: objects.objects! };
  }

  afterAll(async () => {
    await imagenet?.close();
    await detector?.close();
  });

  it('scores what the photos show: the two sources together find more than either alone', () => {
    const [both, imagenetOnly, detectorOnly] = [new Tally(), new Tally(), new Tally()];
    for (const { file, captions } of photos) {
      const truth = consensus(captions);
      const e = evidence.get(file)!;
      both.add(conceptScores(e), truth);
      imagenetOnly.add(conceptScores({ imagenet: e.imagenet }), truth);
      detectorOnly.add(conceptScores({ detector: e.detector }), truth);
    }
    const figure = (t: Tally) => ({ precision: Math.round(t.precision * 1000) / 1000, recall: Math.round(t.recall * 1000) / 1000 });
    const line = {
      figure: 'concept scores >= 0.5 vs caption consensus',
      photos: photos.length,
      both: figure(both),
      imagenet: figure(imagenetOnly),
      detector: figure(detectorOnly),
    };
    console.log(JSON.stringify(line));
    expect(both.recall).toBeGreaterThan(Math.max(imagenetOnly.recall, detectorOnly.recall));
    expect(both.precision).toBeGreaterThan(0.6);
  });

  it('names the scenes and subjects of particular photos', () => {
    const cases: Array<[string, VisualConcept[]]> = [
      ['000000007511.jpg', ['beach', 'sand', 'person']], // kites on a beach
      ['000000007108.jpg', ['elephant', 'animal']],
      ['000000001584.jpg', ['bus', 'vehicle', 'street']],
      ['000000002149.jpg', ['apple', 'fruit', 'food']],
    ];
    for (const [file, concepts] of cases) {
      const scores = conceptScores(evidence.get(`images/${file}`)!);
      const top = [...scores.keys()].sort((a, b) => scores[b]! - scores[a]!).slice(0, 6);
      for (const c of concepts)
        expect(scores[conceptIndex(c)], `${file} ${c}; top: ${top.map((k) => VISUAL_CONCEPTS[k]).join(', ')}`).toBeGreaterThan(0.5);
      expect(scores[conceptIndex('dog')], file).toBeLessThan(0.2);
    }
  });

  it.skipIf(!existsSync(join(FLICKR8K, 'captions.jsonl')))(
    'finds Flickr8k subjects: each source where it can see them',
    { timeout: 60_000 },
    async () => {
      const rows = readFileSync(join(FLICKR8K, 'captions.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Photo);
      const dog = conceptIndex('dog');
      const found = new Map(SUBJECTS.map((s) => [s, { photos: 0, both: 0, detector: 0, imagenet: 0 }]));
      for (const { file, captions } of rows) {
        const truth = consensus(captions);
        // One subject per photo, and no dog in the others': what the default decoder would call a dog.
        const subject = SUBJECTS.find(
          (s) => truth.has(conceptIndex(s)) && (s === 'dog' || !truth.has(dog)) && found.get(s)!.photos < PER_SUBJECT,
        );
        if (subject === undefined) continue;
        const e = await encode(join(FLICKR8K, file));
        const k = conceptIndex(subject);
        const f = found.get(subject)!;
        f.photos++;
        f.both += conceptScores(e)[k]! >= THRESHOLD ? 1 : 0;
        f.detector += conceptScores({ detector: e.detector })[k]! >= THRESHOLD ? 1 : 0;
        f.imagenet += conceptScores({ imagenet: e.imagenet })[k]! >= THRESHOLD ? 1 : 0;
        if ([...found.values()].every((x) => x.photos === PER_SUBJECT)) break;
      }
      console.log(
        JSON.stringify({
          figure: 'flickr8k photos scoring their subject >= 0.5 (both, detector, imagenet)',
          found: Object.fromEntries(found),
        }),
      );
      for (const [subject, f] of found) {
        expect(f.photos, subject).toBe(PER_SUBJECT);
        expect(f.both, subject).toBeGreaterThanOrEqual(Math.max(f.detector, f.imagenet));
      }
      expect(found.get('dog')!.both).toBeGreaterThanOrEqual(PER_SUBJECT - 1);
      for (const scene of ['beach', 'snow', 'mountain'] as const)
        expect(found.get(scene)!.both, scene).toBeGreaterThan(found.get(scene)!.detector);
    },
  );
});
