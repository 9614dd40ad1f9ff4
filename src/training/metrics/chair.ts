/**
 * Object hallucination and object recall of captions, over the 80 COCO categories
 * (src/model/concepts/coco-objects.ts reads a caption as the objects it names).
 *
 * CHAIR (Rohrbach et al. 2018, "Object Hallucination in Image Captioning"):
 *  - a photo's reference objects are the union of the objects its reference captions name;
 *  - an object the caption names is hallucinated when it is not among them;
 *  - CHAIR-i = hallucinated object mentions / object mentions, over every caption (a category named
 *    twice in one caption counts twice, as Rohrbach et al. count words);
 *  - CHAIR-s = captions with at least one hallucinated object / all captions (captions naming no
 *    object count as not hallucinating).
 * Difference from the paper: Rohrbach et al. take as ground truth the union of COCO's object
 * annotations (segmentations) and the reference captions; we have only the captions, so an object
 * that is in the photo but no reference names counts as hallucinated here: with the same word list,
 * our CHAIR is an upper bound of theirs on the same captions.
 *
 * Consensus-object recall: a photo's consensus objects are those named by at least
 * `CONSENSUS_REFERENCES` (3) of its reference captions; recall = consensus objects the caption
 * names / consensus objects, micro-averaged (summed over photos before dividing, so a photo with
 * no consensus object adds nothing and photos with many weigh more). `null` when no photo has one.
 * Captions are tokenised like every other metric (tokenize.ts).
 */
import { objectMentions, type CocoObject } from '../../model/concepts/coco-objects.js';
import { tokenizeCaption } from './tokenize.js';

/** How many references must name an object for it to be a consensus object. */
export const CONSENSUS_REFERENCES = 3;

/** The COCO objects a raw caption names, one per mention. */
export function captionObjects(caption: string): CocoObject[] {
  return objectMentions(tokenizeCaption(caption)).map((m) => m.object);
}

/** One photo's objects: what the caption names and what its references name. */
export interface PhotoObjects {
  /** Objects the caption names, one per mention, in order. */
  named: CocoObject[];
  /** Objects any reference names. */
  reference: CocoObject[];
  /** Objects at least CONSENSUS_REFERENCES references name. */
  consensus: CocoObject[];
  /** Mentions in `named` that no reference names (with repeats). */
  hallucinated: CocoObject[];
}

export function photoObjects(caption: string, references: readonly string[]): PhotoObjects {
  const votes = new Map<CocoObject, number>();
  for (const ref of references) for (const o of new Set(captionObjects(ref))) votes.set(o, (votes.get(o) ?? 0) + 1);
  const named = captionObjects(caption);
  return {
    named,
    reference: [...votes.keys()],
    consensus: [...votes].filter(([, n]) => n >= CONSENSUS_REFERENCES).map(([o]) => o),
    hallucinated: named.filter((o) => !votes.has(o)),
  };
}

export interface ObjectScores {
  images: number;
  /** Fraction of captions naming at least one object no reference names. */
  chair_s: number;
  /** Fraction of object mentions that no reference of their photo names (0 when nothing is named). */
  chair_i: number;
  /** Consensus objects named / consensus objects, micro-averaged; null when there are none. */
  consensus_recall: number | null;
  object_mentions: number;
  hallucinated_mentions: number;
  hallucinating_captions: number;
  consensus_objects: number;
  consensus_named: number;
}

/** CHAIR-s, CHAIR-i and consensus-object recall of raw captions against raw references (one list per caption). */
export function scoreObjects(captions: readonly string[], references: readonly (readonly string[])[]): ObjectScores {
  if (captions.length !== references.length) throw new Error('scoreObjects: one list of references per caption');
  let mentions = 0;
  let hallucinated = 0;
  let hallucinating = 0;
  let consensus = 0;
  let consensusNamed = 0;
  captions.forEach((caption, i) => {
    const p = photoObjects(caption, references[i]!);
    mentions += p.named.length;
    hallucinated += p.hallucinated.length;
    if (p.hallucinated.length > 0) hallucinating++;
    consensus += p.consensus.length;
    consensusNamed += p.consensus.filter((o) => p.named.includes(o)).length;
  });
  return {
    images: captions.length,
    chair_s: captions.length ? hallucinating / captions.length : 0,
    chair_i: mentions ? hallucinated / mentions : 0,
    consensus_recall: consensus ? consensusNamed / consensus : null,
    object_mentions: mentions,
    hallucinated_mentions: hallucinated,
    hallucinating_captions: hallucinating,
    consensus_objects: consensus,
    consensus_named: consensusNamed,
  };
}
