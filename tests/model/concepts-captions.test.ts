/**
 * The caption reader on real captions: how well the concepts read from one caption of a Flickr8k photo
 * agree with those read from its other captions (the noise a text-only training step starts from),
 * and how many captions-text captions name at least one concept. Prints the figures.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { conceptsFromCaption } from '../../src/model/concepts/caption-concepts.js';
import { conceptIndex, VISUAL_CONCEPTS } from '../../src/model/concepts/visual-concepts.js';
import { datasetPath } from '../../src/shared/paths.js';

const FLICKR8K = datasetPath('flickr8k', 'captions.jsonl');
const CAPTIONS_TEXT = datasetPath('captions-text');

function photos(file: string): string[][] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => (JSON.parse(l) as { captions: string[] }).captions);
}

function jaccard(a: Set<number>, b: Set<number>): number | undefined {
  const union = new Set([...a, ...b]).size;
  if (union === 0) return undefined;
  return [...a].filter((x) => b.has(x)).length / union;
}

const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
const round = (x: number) => Math.round(x * 1000) / 1000;

/** Mean Jaccard over pairs of captions of the same photo, and over captions of neighbouring photos. */
function pairAgreement(read: Set<number>[][]): { samePhoto: number; otherPhoto: number } {
  const same: number[] = [];
  const other: number[] = [];
  read.forEach((captions, p) => {
    const next = read[(p + 1) % read.length]!;
    captions.forEach((a, i) => {
      for (const b of captions.slice(i + 1)) {
        const j = jaccard(a, b);
        if (j !== undefined) same.push(j);
      }
      const j = jaccard(a, next[i % next.length]!);
      if (j !== undefined) other.push(j);
    });
  });
  return { samePhoto: mean(same), otherPhoto: mean(other) };
}

/** Per concept: when one caption names it, the share of the photo's other captions that name it too. */
function mentionAgreement(read: Set<number>[][]): Map<number, { mentions: number; agreement: number }> {
  const sums = new Map<number, { mentions: number; agree: number }>();
  for (const captions of read) {
    captions.forEach((a, i) => {
      const others = captions.filter((_, k) => k !== i);
      for (const c of a) {
        const s = sums.get(c) ?? { mentions: 0, agree: 0 };
        s.mentions++;
        s.agree += others.filter((o) => o.has(c)).length / others.length;
        sums.set(c, s);
      }
    });
  }
  return new Map([...sums].map(([c, s]) => [c, { mentions: s.mentions, agreement: s.agree / s.mentions }]));
}

describe.skipIf(!existsSync(FLICKR8K))('concepts read from Flickr8k captions agree across a photo’s captions', () => {
  it('agrees far more within a photo than across photos', () => {
    const read = photos(FLICKR8K).map((captions) => captions.map((c) => conceptsFromCaption(c)));
    const pairs = pairAgreement(read);
    const byConcept = mentionAgreement(read);
    const all = [...byConcept.values()];
    const overall = all.reduce((s, x) => s + x.agreement * x.mentions, 0) / all.reduce((s, x) => s + x.mentions, 0);
    const top = [...byConcept].sort((a, b) => b[1].mentions - a[1].mentions).slice(0, 15);
    const consensus = read.filter((captions) => {
      const counts = new Map<number, number>();
      for (const c of captions) for (const k of c) counts.set(k, (counts.get(k) ?? 0) + 1);
      return [...counts].some(([k, n]) => k !== conceptIndex('person') && n >= 3);
    }).length;
    console.log(
      JSON.stringify({
        figure: 'flickr8k caption-concept agreement',
        photos: read.length,
        jaccard_same_photo: round(pairs.samePhoto),
        jaccard_other_photo: round(pairs.otherPhoto),
        mention_agreement: round(overall),
        photos_with_consensus_concept_besides_person: round(consensus / read.length),
        by_concept: Object.fromEntries(top.map(([k, s]) => [VISUAL_CONCEPTS[k], [s.mentions, round(s.agreement)]])),
      }),
    );
    expect(pairs.samePhoto).toBeGreaterThan(2 * pairs.otherPhoto);
    expect(overall).toBeGreaterThan(0.5);
    expect(byConcept.get(conceptIndex('dog'))!.agreement).toBeGreaterThan(0.8);
  });
});

describe.skipIf(!existsSync(CAPTIONS_TEXT))('captions-text coverage', () => {
  it('finds a concept in nearly every caption, and one besides "person" in most', () => {
    let captions = 0;
    let any = 0;
    let besidesPerson = 0;
    for (const file of readdirSync(CAPTIONS_TEXT).filter((f) => f.endsWith('.jsonl'))) {
      for (const photo of photos(join(CAPTIONS_TEXT, file))) {
        for (const caption of photo) {
          const read = conceptsFromCaption(caption);
          captions++;
          if (read.size > 0) any++;
          if ([...read].some((k) => k !== conceptIndex('person'))) besidesPerson++;
        }
      }
    }
    console.log(
      JSON.stringify({
        figure: 'captions-text concept coverage',
        captions,
        with_a_concept: round(any / captions),
        with_a_concept_besides_person: round(besidesPerson / captions),
      }),
    );
    expect(captions).toBeGreaterThan(160_000);
    expect(any / captions).toBeGreaterThan(0.95);
    expect(besidesPerson / captions).toBeGreaterThan(0.7);
  });
});
