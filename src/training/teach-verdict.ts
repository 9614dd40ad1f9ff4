/**
 * The verdict on a finished teach run, from its before/after figures alone: is the new version
 * better than the model it was taught from, worse, or mixed? The UI makes the safe choice the
 * primary one from it (Discard for a worse version), the API asks a second confirmation before
 * activating a worse version, and the CLI prints it.
 *
 *   better: CIDEr-D on the user's held-back photos rose, and general photos (the base model's own
 *           validation photos, new words read as the words they replace) did not drop beyond
 *           GENERAL_TOLERANCE (the forgetting the engine allows itself when it picks an epoch);
 *   worse:  held-back CIDEr-D fell, or general photos dropped more than GENERAL_WORSE;
 *   mixed:  anything else (held-back unchanged, or it rose while general photos dropped beyond the
 *           allowance but not beyond GENERAL_WORSE).
 * Held-back loss is quoted but does not decide: it rises as soon as the wording shifts, before
 * the captions get better (see the early-stopping note in teach.ts).
 */
import type { TeachMetrics, TeachVerdict } from '../shared/api-contract.js';

/** A held-back CIDEr-D change within this fraction of the old score (or 0.01) is no change. */
export const HELD_BACK_TOLERANCE = 0.03;
/** A general-photos drop up to this fraction is allowed (the engine's default forgetting budget, maxForgetting). */
export const GENERAL_TOLERANCE = 0.1;
/** A general-photos change within this fraction is no change. */
const GENERAL_STEADY = 0.02;
/** A general-photos drop beyond this fraction makes a version worse whatever else it gained. */
export const GENERAL_WORSE = 0.15;

type Direction = 'up' | 'same' | 'down';

function heldBackDirection(before: number, after: number): Direction {
  const tolerance = Math.max(0.01, HELD_BACK_TOLERANCE * Math.abs(before));
  return after - before > tolerance ? 'up' : before - after > tolerance ? 'down' : 'same';
}

const two = (x: number) => x.toFixed(2);
const pct = (x: number) => `${Math.round(Math.abs(x) * 100)} %`;
const signedPct = (x: number) => (Math.round(Math.abs(x) * 100) === 0 ? '0 %' : `${x < 0 ? '−' : '+'}${pct(x)}`);

function heldBackPhrase(m: TeachMetrics, dir: Direction): string {
  const { before, after } = m.user;
  const photos = `on your ${after.images} held-back photo${after.images === 1 ? '' : 's'}`;
  const cider =
    dir === 'same'
      ? two(before.cider) === two(after.cider)
        ? `CIDEr-D stayed at ${two(after.cider)}`
        : `CIDEr-D barely moved from ${two(before.cider)} to ${two(after.cider)}`
      : `CIDEr-D ${dir === 'up' ? 'rose' : 'fell'} from ${two(before.cider)} to ${two(after.cider)}`;
  const loss =
    before.loss !== null && after.loss !== null && Number.isFinite(before.loss) && Number.isFinite(after.loss)
      ? ` (loss ${after.loss > before.loss ? 'rose' : after.loss < before.loss ? 'fell' : 'stayed'} ${after.loss === before.loss ? `at ${before.loss.toFixed(2)}` : `from ${before.loss.toFixed(2)} to ${after.loss.toFixed(2)}`})`
      : '';
  return `${photos} ${cider}${loss}`;
}

/** The general-photos change the verdict uses: with new words read as the words they replace (a rename is not forgetting). */
export function generalChange(m: TeachMetrics): number | null {
  return m.baseCiderChangeRenamed ?? m.baseCiderChange;
}

function generalPhrase(change: number | null): string {
  if (change === null) return 'general photos were not measured (the model has no replay set)';
  if (change < -GENERAL_TOLERANCE) return `general photos dropped ${pct(change)}`;
  if (change < -GENERAL_STEADY) return `general photos dropped ${pct(change)}, within the ${pct(GENERAL_TOLERANCE)} allowed`;
  if (change > GENERAL_STEADY) return `general photos improved ${pct(change)}`;
  return `general photos held steady (${signedPct(change)})`;
}

/**
 * Why a version may not be activated whatever its verdict: general photos dropped beyond the
 * forgetting budget (GENERAL_TOLERANCE, the same budget the engine picks its epoch within). Null
 * when within it or not measured (no replay set).
 */
export function forgettingProblem(m: TeachMetrics): string | null {
  const change = generalChange(m);
  if (change === null || change >= -GENERAL_TOLERANCE) return null;
  return `it forgot too much: general photos dropped ${(-change * 100).toFixed(1)} %, beyond the ${pct(GENERAL_TOLERANCE)} allowed`;
}

/** Better, mixed or worse, with the reason in one sentence quoting the figures. */
export function teachVerdict(m: TeachMetrics): TeachVerdict {
  if (m.user.after.images === 0) return { kind: 'mixed', reason: 'Mixed: there were no held-back photos to check the new version on.' };
  const held = heldBackDirection(m.user.before.cider, m.user.after.cider);
  const general = generalChange(m);
  const generalDown = general !== null && general < -GENERAL_TOLERANCE;
  const kind: TeachVerdict['kind'] =
    held === 'down' || (general !== null && general < -GENERAL_WORSE) ? 'worse' : held === 'up' && !generalDown ? 'better' : 'mixed';
  const conflict = (held === 'up' && generalDown) || (held === 'down' && general !== null && general > GENERAL_STEADY);
  const label = kind === 'better' ? 'Better' : kind === 'worse' ? 'Worse' : 'Mixed';
  const blocked = forgettingProblem(m);
  return {
    kind,
    reason: `${label}: ${heldBackPhrase(m, held)}, ${conflict ? 'but' : 'and'} ${generalPhrase(general)}.`,
    ...(blocked ? { blocked } : {}),
  };
}
