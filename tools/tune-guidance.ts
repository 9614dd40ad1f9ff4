/**
 * Chooses a concept model's guided-decoding thresholds (src/model/concepts/concept-guidance.ts) on
 * Flickr8k VALIDATION photos (the hash split `lenscribe train` held out), never on coco-dev: that
 * set is for evaluation only. Decodes every photo once per setting of a small grid (beam and
 * blocking as the model ships them) and prints one JSON line per setting.
 *
 *   node_modules/.bin/tsx tools/tune-guidance.ts <model dir> [captions.jsonl] [--write [--pick cider|recall|chair|target-…]]
 *     [--target-photos <folder>] [--calibrate-photos n] [--finalists <folder>] [--require-from strongest|0.5|0.4]
 *
 * With --finalists, every finalist, finished as --pick would finish it, is written into a copy of
 * the model in <folder>/<cider|recall|chair|…>, ready for `lenscribe eval --model`, and each of
 * its admitted calibrated-requirement steps in <folder>/<kind>-require-<threshold>.
 *
 * The rule: among the settings that hallucinate no more than the unguided model (CHAIR-s: guidance
 * is there to cut hallucination, so none may add any), do not lose CIDEr-D against it beyond chance
 * (a paired bootstrap over the photos, metrics/bootstrap.ts: worse in at least 95 % of 2,000
 * resamples), and keep CIDEr-D at the Flickr8k floor of 0.48 (or the unguided model's, if
 * that is lower), three finalists, one per figure the issue sets a
 * target for: the highest CIDEr-D, the highest recall of consensus objects (ties: lower CHAIR-s)
 * and the lowest CHAIR-s (ties: higher CIDEr-D). With --write, the one --pick names (default cider)
 * goes into model.json as `decoding.guidance` (none if no setting qualifies). Choosing between the
 * finished finalists is the one use of coco-dev the issue allows; the model card says which won.
 * (A first rule, "the lowest CHAIR-s within 98 % of the CIDEr-D", was replaced after a first look
 * at an early epoch's Flickr8k figures: it ignored that requiring confident objects raised CIDEr-D
 * and recall. A second, "at least 98 % of its CIDEr-D", admitted a setting whose Flickr8k CIDEr-D fell
 * to 0.478, under the floor of 0.48, once calibrated vetoes joined the grid. A third, "at
 * least its CIDEr-D and CHAIR-s", chose by noise: a rerun of the recipe lost every per-object veto
 * to differences of 0.001–0.002 CIDEr-D, a few words in 328 captions; the bootstrap replaced it.)
 *
 * The grid also holds per-object veto thresholds (presence-calibration.ts), calibrated on the Flickr8k
 * TRAINING photos (`--calibrate-photos n`: the first n of the hash split's training photos,
 * default all): for each COCO object named in enough of their captions, the score below which
 * the probability that they name it stays under 5 or 10 %. They only tighten the common veto
 * (0.1): an object whose scores are blunt keeps it. With `--target-photos <folder>` (uncaptioned
 * photos of the kind the model is for, e.g. ../shared/datasets/coco-unlabeled/images), the grid
 * also holds the same calibrations moved to each object's base rate in those photos, estimated
 * from their scores alone (presence-calibration.ts): Flickr8k names people in 78 % of its photos, and
 * a threshold fitted at that rate lets "a man" through where an everyday photo has none. Ranked on
 * Flickr8k those settings lose to the ones fitted at its own rates, so they get finalists of their
 * own (`target_finalists`; --pick target-cider, target-recall or target-chair), by the same rule.
 *
 * Then the picked setting is finished. First it gets a limit on unfamiliar photos (src/model/unfamiliar.ts: described
 * from their concept scores alone): the distance 95, 90 or 80 % of the training photos stay
 * within, the lowest share the rule still admits, and not worse beyond chance than the setting
 * without a limit (`familiar_share` lines). Not for an attending decoder. Then soft vetoes
 * (concept-guidance.ts: an object name's log-probability gets w·ln(its score) added), the
 * heaviest weight of 0.5, 1, 1.5 and 2 admitted the same way (`soft_veto_weight` lines): a hard
 * veto can only forbid a word the encoders rule out, a soft one makes the decoder weigh their
 * doubt against its own habit ("a man …" where the person scores 0.2). (Soft weights were first
 * tried as a dimension of the grid. Its finalists paired them with other requirements and vetoes.
 * On coco-dev each met fewer of the targets than the setting shipped then; the model card
 * has their rows.)
 *
 * Last, calibrated requirements (presence-calibration.ts `calibrateRequirements`): from the
 * training photos, each object named in enough of their captions gets the score from which they
 * name it in at least 90 % of photos, at the --target-photos' base rates when given (at
 * Flickr8k's own otherwise). The common requirement threshold is lowered to 0.5, then 0.4, every
 * calibrated object keeping its own where that is higher (`require_from` lines): a bowl or a
 * broccoli scoring 0.45 is usually there, a person scoring 0.45 in an everyday photo often is
 * not, and the 0.6 one threshold needed for the person kept the bowl out. --require-from says
 * which admitted step --write keeps (default: the strongest); every admitted one is a finalist.
 *
 * Then, on the strongest admitted requirement step, exclusive animals (concept-guidance.ts
 * `exclusiveAnimals`, animal-rivals.ts): an animal is required only where it leads its rival
 * animals, with its requirement calibrated on those photos alone, and where it is required its
 * rivals scoring under half of it are vetoed (`exclusive_animals` line; `rival_naming` prints the
 * training photos' counts behind animal-rivals.ts's veto share). Admitted the same way, it is what
 * --write keeps when --require-from names that step (or is the default), and the finalist
 * <kind>-exclusive.
 */
import { cpSync, existsSync, readdirSync, rmSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { evaluateModel, modelFeatures, selectImages } from '../src/cli/commands/eval.js';
import { StatusLine } from '../src/cli/ui.js';
import { encoderFileRef, loadModel, resolveEncoderPath, writeModelDir } from '../src/model/model-dir.js';
import { requirementThreshold, type GuidanceSettings } from '../src/model/concepts/concept-guidance.js';
import { ANIMAL_RIVALS, isAnimal, leadsRivals } from '../src/model/concepts/animal-rivals.js';
import { conceptsFromCaption } from '../src/model/concepts/caption-concepts.js';
import { CONCEPT_COUNT } from '../src/model/concepts/visual-concepts.js';
import { COCO_OBJECTS } from '../src/model/concepts/coco-objects.js';
import { calibrateRequirements, calibrateVetoes, presenceRates } from '../src/model/concepts/presence-calibration.js';
import { familiarLimit, featureDistance } from '../src/model/unfamiliar.js';
import { loadDataset } from '../src/training/datasets.js';
import { captionObjects } from '../src/training/metrics/chair.js';
import { perImageCiderD } from '../src/training/metrics/index.js';
import { shareWorse } from '../src/training/metrics/bootstrap.js';
import { datasetPath } from '../src/shared/paths.js';

/** The Flickr8k validation floor for CIDEr-D. */
const CIDER_FLOOR = 0.48;
/** A setting is worse than unguided decoding when it is in this share of bootstrap resamples. */
const WORSE_BEYOND_CHANCE = 0.95;

const argv = process.argv.slice(2);
/** The value after a flag, and the arguments without both. */
function takeFlag(list: string[], flag: string): [string | undefined, string[]] {
  const at = list.indexOf(flag);
  return at < 0 ? [undefined, list] : [list[at + 1], list.filter((_, i) => i !== at && i !== at + 1)];
}
const [pickArg, rest] = takeFlag(argv, '--pick');
const [calibrateArg, rest2] = takeFlag(rest, '--calibrate-photos');
const [targetArg, rest3] = takeFlag(rest2, '--target-photos');
const [finalistsArg, rest4] = takeFlag(rest3, '--finalists');
const [requireFromArg, args0] = takeFlag(rest4, '--require-from');
const finalistsDir = finalistsArg === undefined ? undefined : resolve(finalistsArg);
const targetDir = targetArg === undefined ? undefined : resolve(targetArg);
/** The calibrations moved to the target photos' base rates (their settings are finalists of their own). */
const shifted = new Set<Record<string, number>>();

const PICKS = ['cider', 'recall', 'chair', 'target-cider', 'target-recall', 'target-chair'] as const;
const pick = (pickArg ?? 'cider') as (typeof PICKS)[number];
if (!PICKS.includes(pick)) throw new Error(`tune-guidance: --pick takes ${PICKS.join(', ')}`);
if (pick.startsWith('target-') && !targetDir) throw new Error(`tune-guidance: --pick ${pick} needs --target-photos`);
const requireFrom = requireFromArg === undefined || requireFromArg === 'strongest' ? 'strongest' : Number(requireFromArg);
const calibratePhotos = calibrateArg === undefined ? Infinity : Number(calibrateArg);
if (!(calibratePhotos >= 100)) throw new Error('tune-guidance: --calibrate-photos takes a number of photos, at least 100');
const args = args0.filter((a) => a !== '--write');
const write = argv.includes('--write');
const modelDir = resolve(args[0] ?? 'models/default');
const data = args[1] ?? datasetPath('flickr8k', 'captions.jsonl');
if (/coco-dev/.test(data) || /coco-dev/.test(targetDir ?? '')) throw new Error('tune-guidance: coco-dev is for evaluation only');
if (finalistsDir && !relative(modelDir, finalistsDir).startsWith('..'))
  throw new Error('tune-guidance: --finalists must be a folder outside the model directory (each finalist is a copy of it)');
// A folder of an earlier run would mix its finalists with this run's.
if (finalistsDir && existsSync(finalistsDir) && readdirSync(finalistsDir).length > 0)
  throw new Error(`tune-guidance: --finalists ${finalistsDir} is not empty; give a new or empty folder`);

const REQUIRE = [
  [1, 0],
  [0.8, 1],
  [0.6, 1],
  [0.6, 2],
  [0.4, 2],
] as const;
/** Calibrated thresholds stay below the grid's lowest requireAbove. */
const CALIBRATION_CEILING = 0.4;
const MIN_PRESENT = 30;
const PRESENT_RATES = [0.05, 0.1];
/** Objects without a calibrated threshold keep this common one in the calibrated rows. */
const CALIBRATED_COMMON_VETO = 0.1;
/** Shares of the training photos a limit on unfamiliar photos keeps familiar, tried in order. */
const FAMILIAR_SHARES = [0.95, 0.9, 0.8];

/** Soft-veto weights (concept-guidance.ts) tried on the picked setting, in order. */
const SOFT_VETO_WEIGHTS = [0.5, 1, 1.5, 2];
/** Common requirement thresholds tried with calibrated per-object ones, in order (the last finishing stage). */
const REQUIRE_FROM = [0.5, 0.4];
/** A calibrated object is required where its captions name it at least this often (the mirror of the 10 % veto rate). */
const REQUIRE_PRECISION = 0.9;
// Lowering the common requirement threshold is valid only while every calibrated veto stays below it.
if (CALIBRATION_CEILING > Math.min(...REQUIRE_FROM))
  throw new Error('tune-guidance: CALIBRATION_CEILING must not exceed the lowest of REQUIRE_FROM');
if (requireFrom !== 'strongest' && !REQUIRE_FROM.includes(requireFrom))
  throw new Error(`tune-guidance: --require-from takes strongest or one of ${REQUIRE_FROM.join(', ')}`);

function grid(calibrated: ReadonlyArray<Record<string, number>>): Array<GuidanceSettings | null> {
  const out: Array<GuidanceSettings | null> = [null];
  for (const vetoBelow of [0, 0.03, 0.1, 0.2, 0.3])
    for (const [requireAbove, maxRequired] of REQUIRE)
      if (vetoBelow > 0 || maxRequired > 0) out.push({ vetoBelow, requireAbove, maxRequired });
  for (const vetoBelowByObject of calibrated)
    for (const [requireAbove, maxRequired] of REQUIRE)
      out.push({ vetoBelow: CALIBRATED_COMMON_VETO, vetoBelowByObject, requireAbove, maxRequired });
  return out;
}

/** The concept scores of the uncaptioned photos in `dir` (the domain a shifted calibration is for). */
async function targetScores(model: ReturnType<typeof loadModel>, dir: string, status: StatusLine) {
  const photos = readdirSync(dir)
    .filter((f) => /\.(jpe?g|png|webp)$/i.test(f))
    .sort()
    .map((name) => ({ path: join(dir, name), name, captions: [] }));
  if (photos.length < 100) throw new Error(`tune-guidance: --target-photos ${dir} holds ${photos.length} photos; at least 100 are needed`);
  const { features, concepts } = await modelFeatures(model, modelDir, photos, { status, grid: false });
  if (features.kept.length < 100)
    throw new Error(`tune-guidance: only ${features.kept.length} photos of ${dir} could be read; at least 100 are needed`);
  return { scores: concepts!, n: features.kept.length };
}

/** Per-object thresholds at each presence rate, from the training photos' concept scores and captions (and moved to the target photos' base rates). */
async function calibrations(model: ReturnType<typeof loadModel>, status: StatusLine, valFraction: number) {
  const train = selectImages(loadDataset(data), 'train', valFraction, calibratePhotos);
  const { features, concepts } = await modelFeatures(model, modelDir, train, { status, grid: false });
  if (!concepts) throw new Error('tune-guidance: the model reads no concept scores');
  const n = features.kept.length;
  const O = COCO_OBJECTS.length;
  const present = new Uint8Array(n * O);
  features.kept.forEach((img, p) => {
    for (const ref of img.captions) for (const o of captionObjects(ref)) present[p * O + COCO_OBJECTS.indexOf(o)] = 1;
  });
  const distances = trainingDistances(model, features.features, n, features.dim);
  const target = targetDir ? await targetScores(model, targetDir, status) : undefined;
  const base = { minPresent: MIN_PRESENT, ceiling: CALIBRATION_CEILING };
  if (target) {
    const rates = presenceRates(concepts, present, n, { ...base, maxPresentRate: 0, target });
    const rounded = Object.fromEntries(Object.entries(rates).map(([o, r]) => [o, [+r.calibrated.toFixed(4), +r.target.toFixed(4)]]));
    process.stdout.write(`${JSON.stringify({ base_rates: { photos: n, target_photos: target.n, calibrated_and_target: rounded } })}\n`);
  }
  const kinds = target ? [undefined, target] : [undefined];
  const settings = kinds.flatMap((shiftTo) =>
    PRESENT_RATES.map((maxPresentRate) => {
      const all = calibrateVetoes(concepts, present, n, { ...base, maxPresentRate, ...(shiftTo ? { target: shiftTo } : {}) });
      const t = Object.fromEntries(Object.entries(all).filter(([, v]) => v > CALIBRATED_COMMON_VETO));
      const calibration = {
        photos: n,
        ...(shiftTo ? { target_photos: shiftTo.n } : {}),
        maxPresentRate,
        minPresent: MIN_PRESENT,
        thresholds: t,
      };
      process.stdout.write(
        `${JSON.stringify({ calibration: { ...calibration, looser_kept_common: Object.keys(all).filter((o) => !(o in t)) } })}\n`,
      );
      if (shiftTo) shifted.add(t);
      return t;
    }),
  );
  const requirementsBy = (exclusiveAnimals: boolean) => {
    const thresholds = calibrateRequirements(concepts, present, n, {
      minPrecision: REQUIRE_PRECISION,
      minPresent: MIN_PRESENT,
      exclusiveAnimals,
      ...(target ? { target } : {}),
    });
    const calibration = {
      photos: n,
      ...(target ? { target_photos: target.n } : {}),
      minPrecision: REQUIRE_PRECISION,
      minPresent: MIN_PRESENT,
    };
    process.stdout.write(`${JSON.stringify({ requirement_calibration: { ...calibration, exclusiveAnimals, thresholds } })}\n`);
    return thresholds;
  };
  const requirements = requirementsBy(false);
  const exclusiveRequirements = requirementsBy(true);
  const lowest = Math.min(...REQUIRE_FROM);
  const lowestStep = {
    requireAbove: lowest,
    maxRequired: 1,
    vetoBelow: 0,
    requireAboveByObject: requirementsAbove(exclusiveRequirements, lowest),
  };
  process.stdout.write(
    `${JSON.stringify({ rival_naming: { photos: n, require_from: lowest, ...rivalNaming(concepts, features.kept, lowestStep) } })}\n`,
  );
  return { settings, distances, requirements, exclusiveRequirements };
}

/** Rival shares (rival score / leader score) at which rivalNaming counts. */
const RIVAL_SHARES = [0, 0.25, 0.5, 0.75];

/**
 * Where an animal passes its requirement threshold (`guidance`) and leads its rivals: how often the
 * photo's captions name a rival scoring at least 0.1, by the rival's share of the leader's score
 * (animal-rivals.ts's RIVAL_VETO_SHARE comes from these counts).
 */
function rivalNaming(concepts: Float32Array, photos: ReadonlyArray<{ captions: readonly string[] }>, guidance: GuidanceSettings) {
  const K = CONCEPT_COUNT;
  const counts = RIVAL_SHARES.map((from) => ({ from, named: 0, rivals: 0 }));
  let leaders = 0;
  photos.forEach((photo, p) => {
    const score = (i: number) => concepts[p * K + i]!;
    const named = new Set(photo.captions.flatMap((c) => [...conceptsFromCaption(c)]));
    for (let c = 0; c < K; c++) {
      if (!isAnimal(c) || score(c) < requirementThreshold(c, guidance) || !leadsRivals(c, score)) continue;
      leaders++;
      for (const d of ANIMAL_RIVALS[c]!) {
        if (score(d) < 0.1) continue;
        const band = counts.findLast((b) => score(d) / score(c) >= b.from)!;
        band.rivals++;
        if (named.has(d)) band.named++;
      }
    }
  });
  return { leaders, by_share: counts };
}

/** The training photos' distances from their own mean (unfamiliar.ts), from rows of `dim` values whose first D are the feature. */
function trainingDistances(model: ReturnType<typeof loadModel>, rows: Float32Array, n: number, dim: number): Float32Array {
  const D = model.manifest.features.dim;
  const features = new Float32Array(n * D);
  for (let p = 0; p < n; p++) features.set(rows.subarray(p * dim, p * dim + D), p * D);
  const { feature_mean: mean, feature_std: std } = model.decoder.params;
  return featureDistance(features, n, { mean: mean!, std: std! });
}

type Row = { guidance: GuidanceSettings | null; cider: number; bleu4: number; chair_s: number; recall: number | null };

/** What every setting is scored with: the model and Flickr8k's validation photos. */
interface Session {
  model: ReturnType<typeof loadModel>;
  images: ReturnType<typeof selectImages>;
  status: StatusLine;
}

/** One setting's figures on the validation photos, and its CIDEr-D per photo. */
async function scoreSetting({ model, images, status }: Session, guidance: GuidanceSettings | null): Promise<{ row: Row; cider: number[] }> {
  const t0 = performance.now();
  const e = await evaluateModel({ model, modelDir, images, guidance, status });
  const row = {
    guidance,
    cider: e.result.scores.cider,
    bleu4: e.result.scores.bleu4,
    chair_s: e.result.objects.chair_s,
    chair_i: e.result.objects.chair_i,
    recall: e.result.objects.consensus_recall,
    seconds: Math.round((performance.now() - t0) / 100) / 10,
  };
  const cider = perImageCiderD(
    e.result.captions,
    e.features.kept.map((img) => img.captions),
  );
  const mean = cider.reduce((a, b) => a + b, 0) / cider.length;
  if (Math.abs(mean - row.cider) > 1e-9) throw new Error(`tune-guidance: per-photo CIDEr-D averages ${mean}, not ${row.cider}`);
  return { row, cider };
}

type Scored = { row: Row; cider: number[] };

/**
 * The strongest of `steps` (one lever turned up on `base`'s setting, in order) that the rule
 * still admits, tried until one is refused; `base` itself if none is. Besides the rule against
 * unguided decoding (`plain`), a step may not lose CIDEr-D beyond chance against `base`:
 * Flickr8k is the decoder's home ground, and a lever meant for other photos must not cost it.
 */
async function strongestAdmitted(
  session: Session,
  base: Scored,
  plain: Scored,
  steps: ReadonlyArray<{ step: Record<string, number>; guidance: GuidanceSettings }>,
  onAdmitted?: (guidance: GuidanceSettings) => void,
): Promise<Scored> {
  let best = base;
  for (const { step, guidance } of steps) {
    const scored = await scoreSetting(session, guidance);
    const { row, cider } = scored;
    const worse = { worse_cider: shareWorse(cider, plain.cider), worse_than_chosen: shareWorse(cider, base.cider) };
    const admitted =
      row.cider >= Math.min(CIDER_FLOOR, plain.row.cider) &&
      row.chair_s <= plain.row.chair_s &&
      worse.worse_cider < WORSE_BEYOND_CHANCE &&
      worse.worse_than_chosen < WORSE_BEYOND_CHANCE;
    process.stdout.write(`${JSON.stringify({ photos: session.images.length, ...step, ...row, ...worse, admitted })}\n`);
    if (!admitted) break;
    best = scored;
    onAdmitted?.(guidance);
  }
  return best;
}

/** A finished setting, and its variants with calibrated requirements that the rule admitted (by common threshold). */
interface Finished {
  guidance: GuidanceSettings;
  requiring: Map<number, GuidanceSettings>;
  /** The strongest admitted requirement step with exclusive animals, if the rule admitted that too. */
  exclusive?: GuidanceSettings;
}

/**
 * The picked setting finished: first the limit on unfamiliar photos with the most photos
 * described from their concepts alone (unfamiliar.ts: the distance FAMILIAR_SHARES of the
 * training photos stay within, from the most familiar share down; not for an attending decoder,
 * which has no concepts-alone path), then the heaviest soft veto (SOFT_VETO_WEIGHTS), each
 * the strongest step the rule admits. Then calibrated requirements: the common requirement
 * threshold lowered to each of REQUIRE_FROM in turn, with every calibrated object's own
 * threshold where it is higher (`requirements`), while the rule admits the step.
 */
async function finish(
  session: Session,
  chosen: Scored,
  plain: Scored,
  distances: Float32Array,
  requirements: Readonly<Record<string, number>>,
  exclusiveRequirements: Readonly<Record<string, number>>,
): Promise<Finished> {
  const limited = session.model.decoder.config.attention
    ? chosen
    : await strongestAdmitted(
        session,
        chosen,
        plain,
        FAMILIAR_SHARES.map((share) => ({
          step: { familiar_share: share },
          guidance: { ...chosen.row.guidance!, unfamiliarAbove: Math.round(familiarLimit(distances, share) * 1e4) / 1e4 },
        })),
      );
  const softened = await strongestAdmitted(
    session,
    limited,
    plain,
    SOFT_VETO_WEIGHTS.map((w) => ({ step: { soft_veto_weight: w }, guidance: { ...limited.row.guidance!, softVetoWeight: w } })),
  );
  const guidance = softened.row.guidance!;
  const steps = REQUIRE_FROM.filter((r) => r < guidance.requireAbove && guidance.maxRequired > 0).map((r) => ({
    step: { require_from: r },
    guidance: { ...guidance, requireAbove: r, requireAboveByObject: requirementsAbove(requirements, r) },
  }));
  const requiring = new Map<number, GuidanceSettings>();
  const required = await strongestAdmitted(session, softened, plain, steps, (g) => requiring.set(g.requireAbove, g));
  if (requiring.size === 0) return { guidance, requiring };
  const last = required.row.guidance!;
  const exclusive = await strongestAdmitted(session, required, plain, [
    {
      step: { exclusive_animals: 1 },
      guidance: { ...last, exclusiveAnimals: true, requireAboveByObject: requirementsAbove(exclusiveRequirements, last.requireAbove) },
    },
  ]);
  return { guidance, requiring, ...(exclusive !== required ? { exclusive: exclusive.row.guidance! } : {}) };
}

/** The calibrated requirement thresholds above a common one (a calibration only tightens it). */
function requirementsAbove(requirements: Readonly<Record<string, number>>, common: number): Record<string, number> {
  return Object.fromEntries(Object.entries(requirements).filter(([, t]) => t > common));
}

/** The finished setting --write keeps: the requirement step --require-from names (by default the strongest admitted, or none if none was). */
function kept(f: Finished): GuidanceSettings {
  if (requireFrom === 'strongest') return f.exclusive ?? [...f.requiring.values()].at(-1) ?? f.guidance;
  const step = f.requiring.get(requireFrom);
  if (step && f.exclusive?.requireAbove === requireFrom) return f.exclusive;
  if (!step)
    throw new Error(
      `tune-guidance: --require-from ${requireFrom}: the rule did not admit that step (admitted: ${[...f.requiring.keys()].join(', ') || 'none'})`,
    );
  return step;
}

async function main(): Promise<void> {
  const model = loadModel(modelDir);
  const valFraction = Number(model.manifest.training.options?.valFraction ?? 0.05);
  const session: Session = { model, images: selectImages(loadDataset(data), 'val', valFraction), status: new StatusLine() };
  const { settings, distances, requirements, exclusiveRequirements } = await calibrations(model, session.status, valFraction);
  const scored: Array<{ row: Row; cider: number[]; worse: number }> = [];
  for (const guidance of grid(settings)) {
    const { row, cider } = await scoreSetting(session, guidance);
    const worse = scored.length > 0 ? shareWorse(cider, scored[0]!.cider) : 0;
    scored.push({ row, cider, worse });
    process.stdout.write(
      `${JSON.stringify({ photos: session.images.length, ...row, ...(scored.length > 1 ? { worse_cider: worse } : {}) })}\n`,
    );
  }
  const plain = scored[0]!;
  const floor = Math.min(CIDER_FLOOR, plain.row.cider);
  const ok = scored.filter(
    (s) => s.row.guidance && s.row.cider >= floor && s.row.chair_s <= plain.row.chair_s && s.worse < WORSE_BEYOND_CHANCE,
  );
  const isShifted = (s: (typeof ok)[number]) =>
    s.row.guidance?.vetoBelowByObject !== undefined && shifted.has(s.row.guidance.vetoBelowByObject);
  const finalistsOf = (among: typeof ok) => {
    const top = (key: 'cider' | 'recall') =>
      [...among].sort((a, b) => (b.row[key] ?? 0) - (a.row[key] ?? 0) || a.row.chair_s - b.row.chair_s)[0];
    const cleanest = [...among].sort((a, b) => a.row.chair_s - b.row.chair_s || b.row.cider - a.row.cider)[0];
    return { cider: top('cider'), recall: top('recall'), chair: cleanest };
  };
  const finalists = finalistsOf(ok.filter((s) => !isShifted(s)));
  // The shifted calibrations are for other photos than Flickr8k's: the rule admits them on its
  // validation photos, but ranked there they lose to settings fitted at its own base rates.
  const target = finalistsOf(ok.filter(isShifted));
  const byPick = { ...finalists, 'target-cider': target.cider, 'target-recall': target.recall, 'target-chair': target.chair };
  const settingsOf = (f: typeof finalists) => Object.fromEntries(Object.entries(f).map(([k, v]) => [k, v?.row.guidance ?? null]));
  process.stdout.write(
    `${JSON.stringify({ finalists: settingsOf(finalists), ...(shifted.size ? { target_finalists: settingsOf(target) } : {}), chosen: byPick[pick]?.row.guidance ?? null })}\n`,
  );
  const finished = async (f: Scored | undefined) =>
    f ? await finish(session, f, plain, distances, requirements, exclusiveRequirements) : null;
  const best = await finished(byPick[pick]);
  const written = best ? kept(best) : null;
  process.stdout.write(`${JSON.stringify({ written: write, guidance: written })}\n`);
  if (write) writeGuidance(model, modelDir, written);
  if (finalistsDir) {
    // Each finalist finished (its unfamiliar limit too) in a copy of the model, for the comparison on
    // coco-dev; and each with the calibrated requirements the rule admitted (<kind>-require-<threshold>).
    for (const [kind, f] of Object.entries(shifted.size ? byPick : finalists)) {
      if (!f) continue;
      const done = kind === pick ? best! : (await finished(f))!;
      const variants: Array<[string, GuidanceSettings]> = [
        [kind, done.guidance],
        ...[...done.requiring].map(([r, g]) => [`${kind}-require-${r}`, g] as [string, GuidanceSettings]),
        ...(done.exclusive ? [[`${kind}-exclusive`, done.exclusive] as [string, GuidanceSettings]] : []),
      ];
      for (const [name, guidance] of variants) {
        const dir = join(finalistsDir, name);
        cpSync(modelDir, dir, { recursive: true });
        rmSync(join(dir, 'CARD.md'), { force: true }); // it describes the shipped setting, not this one
        writeGuidance(model, dir, guidance);
        process.stdout.write(`${JSON.stringify({ finalist: name, dir, guidance })}\n`);
      }
    }
  }
}

/** The model's manifest with `guidance` as its decoding's, written into dir (a copy of the model, or the model). */
function writeGuidance(model: ReturnType<typeof loadModel>, dir: string, guidance: GuidanceSettings | null): void {
  const { format: _f, version: _v, files, ...manifest } = model.manifest;
  // A copy elsewhere still points at the model's encoder.
  const encoderFile =
    resolve(dir) === modelDir ? manifest.encoder.file : encoderFileRef(dir, resolveEncoderPath(modelDir, manifest.encoder.file));
  const input = { ...manifest, encoder: { ...manifest.encoder, file: encoderFile } };
  const extra = Object.keys(files).filter((f) => f !== input.decoder.weights && f !== input.decoder.vocabulary);
  const { guidance: _g, ...decoding } = input.decoding;
  writeModelDir(dir, { ...input, decoding: guidance ? { ...decoding, guidance } : decoding }, extra);
}

await main();
