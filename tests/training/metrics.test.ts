import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import {
  corpusBleu,
  corpusCiderD,
  corpusRougeL,
  lcsLength,
  normaliseCaption,
  rougeL,
  scoreCaptions,
  tokenizeCaption,
} from '../../src/training/metrics/index.js';

describe('tokenizeCaption (PTB-like: lowercase, clitics split, punctuation dropped)', () => {
  it('lowercases, drops punctuation, splits clitics, keeps hyphenated words', () => {
    expect(tokenizeCaption("A dog's ball, on the grass.")).toEqual(['a', 'dog', "'s", 'ball', 'on', 'the', 'grass']);
    expect(tokenizeCaption('A black-and-white dog -- jumping!')).toEqual(['a', 'black-and-white', 'dog', 'jumping']);
    expect(tokenizeCaption('They don\'t "run" (fast)')).toEqual(['they', 'do', "n't", 'run', 'fast']);
    // Flickr8k writes captions pre-tokenised: the standalone clitic and the final period.
    expect(tokenizeCaption("A dog 's ball .")).toEqual(['a', 'dog', "'s", 'ball']);
    expect(normaliseCaption('  Two   DOGS play.  ')).toBe('two dogs play');
    expect(tokenizeCaption('... ! ?')).toEqual([]);
  });
});

describe('BLEU (coco-caption corpus BLEU, closest reference length)', () => {
  it('scores the classic cat example as worked out by hand', () => {
    // cand: the cat sat on the mat (6 words)
    // refs: "the cat is on the mat" (6), "there is a cat on the mat" (7)
    // 1-grams: the×2 (ref max 2), cat, sat (0), on, mat -> 5/6
    // 2-grams: the cat ✓, cat sat ✗, sat on ✗, on the ✓, the mat ✓ -> 3/5
    // 3-grams: the cat sat ✗, cat sat on ✗, sat on the ✗, on the mat ✓ -> 1/4
    // 4-grams: none of 3 match -> coco smooths 0/3 as (0 + 1e-15) / (3 + 1e-9)
    // closest ref length 6 = candidate length -> no brevity penalty (up to 1e-10 from coco's smoothing)
    const [b1, b2, b3, b4] = corpusBleu(['the cat sat on the mat'], [['the cat is on the mat', 'there is a cat on the mat']]);
    expect(b1).toBeCloseTo(5 / 6, 9);
    expect(b2).toBeCloseTo(Math.sqrt((5 / 6) * (3 / 5)), 9); // = sqrt(1/2)
    expect(b3).toBeCloseTo(0.5, 9); // (5/6 · 3/5 · 1/4)^(1/3) = (1/8)^(1/3)
    expect(b4).toBeCloseTo((0.125 * (1e-15 / 3)) ** 0.25, 12);
  });

  it('applies the brevity penalty against the closest reference, ties to the shorter', () => {
    // "a cat" vs one 6-word reference: precisions 2/2 and 1/1, BP = exp(1 - 6/2) = e^-2.
    const [b1, b2] = corpusBleu(['a cat'], [['a cat sits on a mat']]);
    expect(b1).toBeCloseTo(Math.exp(-2), 9);
    expect(b2).toBeCloseTo(Math.exp(-2), 9);
    // 4-word candidate, references of 3 and 5 words: both 1 away, coco picks 3 -> no penalty.
    const [t1] = corpusBleu(['a b c d'], [['a b c', 'a b c d e']]);
    expect(t1).toBeCloseTo(1, 9);
    // With only the 5-word reference: BP = exp(1 - 5/4).
    const [u1] = corpusBleu(['a b c d'], [['a b c d e']]);
    expect(u1).toBeCloseTo(Math.exp(1 - 5 / 4), 9);
  });

  it('is corpus-level: sums counts over images before dividing', () => {
    // image A: "a dog runs" = its reference -> 3/3 unigrams; image B: "a cat" vs "a bird" -> 1/2.
    // Corpus BLEU-1 = (3 + 1) / (3 + 2) = 0.8, not the mean of 1 and 0.5.
    const [b1] = corpusBleu(['a dog runs', 'a cat'], [['a dog runs'], ['a bird']]);
    expect(b1).toBeCloseTo(0.8, 9);
  });
});

describe('ROUGE-L (coco-caption: LCS, beta 1.2, best precision and best recall over references)', () => {
  it('computes LCS lengths', () => {
    expect(lcsLength('a b c d e'.split(' '), 'a c e'.split(' '))).toBe(3);
    expect(lcsLength([], ['a'])).toBe(0);
  });
  it('scores the cat example by hand', () => {
    // ref1 "the cat is on the mat": LCS "the cat on the mat" = 5 -> P 5/6, R 5/6
    // ref2 "there is a cat on the mat": LCS "cat on the mat" = 4 -> P 4/6, R 4/7
    // Pmax = Rmax = 5/6 -> F = (1+1.44)·P·R / (R + 1.44·P) = 5/6
    expect(rougeL('the cat sat on the mat', ['the cat is on the mat', 'there is a cat on the mat'])).toBeCloseTo(5 / 6, 12);
  });
  it('maximises precision and recall separately across references, as coco does', () => {
    // ref "a b": LCS 2 -> P 2/4, R 1.  ref "a b c d e f g h": LCS 4 -> P 1, R 1/2.
    // Pmax = 1, Rmax = 1 -> F = 1 (the best single-reference F would be lower).
    expect(rougeL('a b c d', ['a b', 'a b c d e f g h'])).toBeCloseTo(1, 12);
    // Only the first reference: P = 1/2, R = 1 -> F = 2.44·0.5 / (1 + 1.44·0.5) = 1.22 / 1.72
    expect(rougeL('a b c d', ['a b'])).toBeCloseTo(1.22 / 1.72, 12);
    expect(rougeL('x y', ['a b'])).toBe(0);
    expect(corpusRougeL(['a b c d', 'x y'], [['a b'], ['a b']])).toBeCloseTo(1.22 / 1.72 / 2, 12);
  });
});

describe('CIDEr-D (coco-caption: tf-idf from references, clipping, Gaussian length penalty sigma 6, x10)', () => {
  it('scores two images as worked out by hand', () => {
    // Two images -> log(#images) = L = ln 2. "a" occurs in both images' references: idf 0.
    // Every other reference n-gram occurs in one image: weight tf·L.
    // Image 0: candidate = reference "a dog runs". Orders 1–3: identical vectors -> cosine 1;
    //   order 4: no n-grams -> 0. Length penalty exp(0) = 1. Score = 10 · (1+1+1+0)/4 = 7.5
    // Image 1: "a cat" vs "a cat sleeps".
    //   1-grams: cand {a:0, cat:L}, ref {a:0, cat:L, sleeps:L}: L² / (L · √2 L) = 1/√2
    //   2-grams: cand {a cat:L}, ref {a cat:L, cat sleeps:L}: 1/√2;  3-, 4-grams: 0
    //   length (coco counts bigrams): 1 vs 2 -> δ = -1 -> penalty exp(-1/72)
    //   Score = 10 · (2/√2)/4 · exp(-1/72)
    const img1 = ((10 * (2 / Math.SQRT2)) / 4) * Math.exp(-1 / 72);
    const { score, perImage } = corpusCiderD(['a dog runs', 'a cat'], [['a dog runs'], ['a cat sleeps']]);
    expect(perImage[0]).toBeCloseTo(7.5, 12);
    expect(perImage[1]).toBeCloseTo(img1, 12);
    expect(score).toBeCloseTo((7.5 + img1) / 2, 12);
  });

  it('clips repeated candidate n-grams by the reference count', () => {
    // Image 0: "dog dog" vs "a dog runs". 1-grams: cand {dog: 2L}, ref {a:0, dog:L, runs:L}
    //   clipped numerator min(2L, L)·L = L²; norms 2L and √2 L -> 1/(2√2) (unclipped would be 1/√2).
    //   2-gram "dog dog" is in no reference (df 0 -> idf L) and matches nothing -> 0. Orders 3, 4: 0.
    //   length: 1 bigram vs 2 -> penalty exp(-1/72). Score = 10 · (1/(2√2))/4 · exp(-1/72).
    const { perImage } = corpusCiderD(['dog dog', 'a cat sleeps'], [['a dog runs'], ['a cat sleeps']]);
    expect(perImage[0]).toBeCloseTo((10 / (2 * Math.SQRT2) / 4) * Math.exp(-1 / 72), 12);
    expect(perImage[1]).toBeCloseTo(7.5, 12);
  });

  it('averages over references and is 0 with a single image (idf log 1 = 0)', () => {
    // Image 0 with refs "a dog runs" and "a cat sleeps": similarity 1,1,1,0 with the first and
    // 0 with the second (its n-grams other than "a" don't overlap; "a" has idf 0 in both images),
    // so the score halves: 10 · 0.75 / 2 = 3.75.
    const { perImage } = corpusCiderD(
      ['a dog runs', 'x'],
      [
        ['a dog runs', 'a cat sleeps'],
        ['a cat sleeps', 'a bird'],
      ],
    );
    // df: "a" 2 images -> idf 0; "cat", "sleeps", "a cat", … 2 images too -> idf 0; "dog", "runs" 1 image -> L.
    // With the first reference: 1-grams {dog, runs} cosine 1; 2-grams {a dog, dog runs} 1; 3-gram 1.
    // With the second: all its n-grams have idf 0 -> ref norm 0 -> 0.
    expect(perImage[0]).toBeCloseTo(3.75, 12);
    expect(corpusCiderD(['a dog'], [['a dog']]).score).toBe(0);
  });
});

describe('scoreCaptions', () => {
  it('tokenises raw captions and reports every figure', () => {
    const s = scoreCaptions(['A dog runs.', 'A cat'], [['a dog runs', 'A DOG is running .'], ['A cat sleeps!']]);
    expect(s.images).toBe(2);
    expect(s.bleu1).toBeGreaterThan(s.bleu2);
    expect(s.rouge_l).toBeGreaterThan(0);
    expect(s.cider).toBeGreaterThan(0);
    const perfect = scoreCaptions(
      ['a dog runs on the grass', 'a cat sleeps on a sofa'],
      [['a dog runs on the grass'], ['a cat sleeps on a sofa']],
    );
    expect(perfect.bleu4).toBeCloseTo(1, 8);
    expect(perfect.rouge_l).toBeCloseTo(1, 12);
  });
});

// An independent re-implementation in Python, written from the definitions above, must agree
// with ours on realistic captions to 1e-9.
const PYTHON = String.raw`
import json, math, sys
from collections import Counter

def grams(ws, n):
    return Counter(tuple(ws[i:i+k]) for k in range(1, n+1) for i in range(len(ws)-k+1))

def bleu(cands, refss, n=4):
    corr = [0]*n; tot = [0]*n; c_len = 0; r_len = 0
    for c, refs in zip(cands, refss):
        cw = c.split(); rws = [r.split() for r in refs]
        c_len += len(cw)
        # closest reference length, ties to the shorter
        r_len += min((abs(len(r)-len(cw)), len(r)) for r in rws)[1]
        best = Counter()
        for r in rws:
            for g, k in grams(r, n).items():
                best[g] = max(best[g], k)
        for g, k in grams(cw, n).items():
            corr[len(g)-1] += min(k, best[g])
        for k in range(n):
            tot[k] += max(0, len(cw)-k)
    out = []; prod = 1.0
    for k in range(n):
        prod = prod * ((corr[k] + 1e-15) / (tot[k] + 1e-9))
        out.append(prod ** (1.0/(k+1)))
    ratio = (c_len + 1e-15) / (r_len + 1e-9)
    if ratio < 1:
        out = [b * math.exp(1 - 1/ratio) for b in out]
    return out

def cider(cands, refss, n=4, sigma=6.0):
    refgrams = [[grams(r.split(), n) for r in refs] for refs in refss]
    df = Counter()
    for rg in refgrams:
        df.update(set(g for c in rg for g in c))
    logN = math.log(len(refss))
    def tfidf(c):
        v = [dict() for _ in range(n)]
        for g, k in c.items():
            v[len(g)-1][g] = k * (logN - math.log(max(1.0, df[g])))
        return v, [math.sqrt(sum(x*x for x in d.values())) for d in v], sum(k for g, k in c.items() if len(g) == 2)
    scores = []
    for cand, rg in zip(cands, refgrams):
        hv, hn, hl = tfidf(grams(cand.split(), n))
        total = [0.0]*n
        for r in rg:
            rv, rn, rl = tfidf(r)
            pen = math.exp(-((hl - rl) ** 2) / (2 * sigma * sigma))
            for k in range(n):
                s = sum(min(w, rv[k].get(g, 0.0)) * rv[k].get(g, 0.0) for g, w in hv[k].items())
                if hn[k] != 0 and rn[k] != 0:
                    s /= hn[k] * rn[k]
                total[k] += s * pen
        scores.append(10.0 * (sum(total) / n) / len(rg))
    return sum(scores) / len(scores), scores

data = json.load(sys.stdin)
b = bleu(data['cands'], data['refs'])
c, per = cider(data['cands'], data['refs'])
print(json.dumps({'bleu': b, 'cider': c, 'per': per}))
`;

const hasPython = spawnSync('python3', ['--version']).status === 0;

describe.skipIf(!hasPython)('cross-check against an independent Python implementation', () => {
  it('agrees on BLEU-1..4 and CIDEr-D to 1e-9', () => {
    const refs = [
      [
        'a black dog is running across the grass',
        'a dog runs on a lawn',
        'the black dog plays in the green grass',
        'a dog running',
        'black dog in a field',
      ],
      [
        'two children play on the beach',
        'kids are playing in the sand near the water',
        'two young kids at the beach',
        'children building a sandcastle',
        'two kids on a sandy beach by the ocean',
      ],
      [
        'a man rides a bike down a dirt path',
        'a cyclist on a trail in the woods',
        'man on a mountain bike',
        'a person riding a bicycle through the forest',
        'a biker rides a dirt trail',
      ],
      [
        'a girl in a pink dress jumps',
        'a little girl jumping',
        'the girl is jumping in the air',
        'a child in pink leaps',
        'a young girl jumps on the sidewalk',
      ],
      [
        'a brown dog carries a stick in the water',
        'dog swimming with a stick',
        'a dog fetches a stick from a lake',
        'brown dog in water',
        'the dog swims with a branch in its mouth',
      ],
    ].map((rs) => rs.map(normaliseCaption));
    const cands = [
      'a black dog is running through the grass',
      'two children are playing on the beach',
      'a man is riding a bike',
      'a girl in a pink dress',
      'a dog dog is swimming in the water with a stick',
    ].map(normaliseCaption);
    const py = spawnSync('python3', ['-c', PYTHON], { input: JSON.stringify({ cands, refs }), encoding: 'utf8' });
    expect(py.status, py.stderr).toBe(0);
    const want = JSON.parse(py.stdout) as { bleu: number[]; cider: number; per: number[] };
    const bleu = corpusBleu(cands, refs);
    for (let k = 0; k < 4; k++) expect(Math.abs(bleu[k]! - want.bleu[k]!)).toBeLessThan(1e-9);
    const cider = corpusCiderD(cands, refs);
    expect(Math.abs(cider.score - want.cider)).toBeLessThan(1e-9);
    for (let i = 0; i < cands.length; i++) expect(Math.abs(cider.perImage[i]! - want.per[i]!)).toBeLessThan(1e-9);
    // Sanity: the figures are in a realistic range, not trivially 0 or 1.
    expect(bleu[3]).toBeGreaterThan(0.05);
    expect(cider.score).toBeGreaterThan(0.3);
  });
});
