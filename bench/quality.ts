/**
 * `npm run bench -- quality [model dir]`: how good the captions are, one JSON line per dataset:
 *  - flickr8k-val: the Flickr8k photos the default model held out while training (hash split, 5 %);
 *  - coco-dev: 150 everyday COCO photos, 4–7 captions each (../shared/datasets/coco-dev, SOURCE.md).
 *    For measuring only: nothing here trains or tunes on its captions, so its figures stay honest.
 * Every metric `lenscribe eval` prints (BLEU-1..4, ROUGE-L, CIDEr-D, CHAIR-s, CHAIR-i,
 * consensus-object recall; src/training/metrics), captioned exactly as eval does (the model's
 * encoder, beam and n-gram block), and the encoder's cost as used: wall ms per photo for decoding,
 * preparing and encoding every photo (both passes when the model averages a mirrored photo), into
 * a fresh feature cache so nothing is read back, with the encoder's default threads.
 *
 * Peer, same run: people. Each photo's reference captions take turns (the first 5) as the candidate
 * scored against the others; the model's caption is scored against the same others, and the
 * figures are averaged over the turns. "ratio" = model / human per metric on those references: below
 * 1 for BLEU/ROUGE/CIDEr/recall means worse than a person, above 1 for CHAIR means hallucinating
 * more than one. Human CHAIR also shows how much of our CHAIR is the caption-only ground truth: a
 * person names objects the other annotators left out. "published" quotes the literature's range;
 * it is measured on other photos and ground truth, so it is context, not a ratio.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { evaluateModel, selectImages } from '../src/cli/commands/eval.js';
import { StatusLine } from '../src/cli/ui.js';
import { loadModel } from '../src/model/model-dir.js';
import { datasetPath, defaultModelDir } from '../src/shared/paths.js';
import { loadDataset } from '../src/training/datasets.js';
import { scoreCaptions, scoreObjects, type CaptionScores, type ObjectScores } from '../src/training/metrics/index.js';

const DATASETS = [
  {
    name: 'flickr8k-val',
    file: datasetPath('flickr8k', 'captions.jsonl'),
    split: 'val',
    published:
      'NeuralTalk (Karpathy & Fei-Fei 2015) BLEU-4 0.160 on Flickr8k test; no published CHAIR on Flickr8k (Rohrbach et al. 2018 measure COCO)',
  },
  {
    name: 'coco-dev',
    file: datasetPath('coco-dev', 'captions.jsonl'),
    split: 'all',
    published:
      "CHAIR-s 0.07–0.18 for COCO-trained captioners on COCO's Karpathy test, ground truth = COCO segmentations + captions (Rohrbach et al. 2018)",
  },
] as const;
/** Flickr8k's validation side as `lenscribe train` held it out (its default --val-fraction). */
const VAL_FRACTION = 0.05;
const TURNS = 5;

const modelDir = resolve(process.argv[2] ?? defaultModelDir);
const model = loadModel(modelDir);
const r4 = (x: number | null) => (x === null ? null : Number(x.toFixed(4)));
const peakRssMb = () => Math.round(process.resourceUsage().maxRSS / 1024);

type Figures = Record<
  'bleu1' | 'bleu2' | 'bleu3' | 'bleu4' | 'rouge_l' | 'cider' | 'chair_s' | 'chair_i' | 'consensus_recall',
  number | null
>;

function asFigures(s: CaptionScores, o: ObjectScores): Figures {
  const { bleu1, bleu2, bleu3, bleu4, rouge_l, cider } = s;
  return { bleu1, bleu2, bleu3, bleu4, rouge_l, cider, chair_s: o.chair_s, chair_i: o.chair_i, consensus_recall: o.consensus_recall };
}

function figures(candidates: string[], references: string[][]): Figures {
  return asFigures(scoreCaptions(candidates, references), scoreObjects(candidates, references));
}

/** Mean of each figure over the turns (a null turn, no consensus object, is left out). */
function meanFigures(turns: Figures[]): Figures {
  const out = {} as Figures;
  for (const k of Object.keys(turns[0]!) as (keyof Figures)[]) {
    const xs = turns.map((t) => t[k]).filter((x): x is number => x !== null);
    out[k] = xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null;
  }
  return out;
}

/** Human peer: reference `turn` of each photo against its other references, and the model against the same. */
function leaveOneOut(captions: string[], references: string[][]): { human: Figures; model: Figures } {
  const keep = references.map((_, i) => i).filter((i) => references[i]!.length >= 2);
  const human: Figures[] = [];
  const ours: Figures[] = [];
  for (let turn = 0; turn < TURNS; turn++) {
    const held = keep.map((i) => turn % references[i]!.length);
    const others = keep.map((i, j) => references[i]!.filter((_, k) => k !== held[j]));
    human.push(
      figures(
        keep.map((i, j) => references[i]![held[j]!]!),
        others,
      ),
    );
    ours.push(
      figures(
        keep.map((i) => captions[i]!),
        others,
      ),
    );
  }
  return { human: meanFigures(human), model: meanFigures(ours) };
}

const rounded = (f: Figures) => Object.fromEntries(Object.entries(f).map(([k, v]) => [k, r4(v)]));

async function measure(dataset: (typeof DATASETS)[number]): Promise<Record<string, unknown>> {
  const t0 = performance.now();
  const ds = loadDataset(dataset.file);
  const images = selectImages(ds, dataset.split, VAL_FRACTION);
  const cache = mkdtempSync(join(tmpdir(), 'lenscribe-bench-quality-'));
  try {
    const status = new StatusLine({ quietWhenPiped: true });
    const e = await evaluateModel({ model, modelDir, images, cache, status });
    const { scores: s, objects: o, captions } = e.result;
    const references = e.features.kept.map((i) => i.captions);
    const peer = leaveOneOut(captions, references);
    const ratio = Object.fromEntries(
      Object.keys(peer.human).map((k) => {
        const h = peer.human[k as keyof Figures];
        const m = peer.model[k as keyof Figures];
        return [k, h && m !== null ? r4(m / h) : null];
      }),
    );
    const m = e.model.manifest;
    return {
      dataset: dataset.name,
      model: m.name,
      encoder: m.encoder.name,
      features: m.features.outputs.map((x) => x.name).join('+'),
      beam: e.beam,
      no_repeat_ngram: e.noRepeatNgram,
      images: s.images,
      ...rounded(asFigures(s, o)),
      object_mentions: o.object_mentions,
      hallucinated_mentions: o.hallucinated_mentions,
      consensus_objects: o.consensus_objects,
      encoder_ms_per_photo: Number(((e.features.seconds * 1000) / e.features.kept.length).toFixed(2)),
      encoder_photos: e.features.kept.length,
      encoder_flip_average: m.features.flipAverage ?? false,
      unreadable_photos: e.features.failures,
      peer: `human: each of the first ${TURNS} reference captions in turn against the others; the model against the same others`,
      peer_metrics: rounded(peer.human),
      model_on_peer_references: rounded(peer.model),
      ratio,
      ratio_is:
        'model / human on the same references, per metric (BLEU/ROUGE/CIDEr/recall < 1: worse than a person; CHAIR > 1: hallucinates more)',
      published: dataset.published,
      seconds: Number(((performance.now() - t0) / 1000).toFixed(1)),
    };
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
}

for (const dataset of DATASETS) {
  const line = existsSync(dataset.file) ? await measure(dataset) : { dataset: dataset.name, skipped: `${dataset.file} not found` };
  console.log(JSON.stringify({ bench: 'quality', ...line, peak_rss_mb: peakRssMb() }));
}
