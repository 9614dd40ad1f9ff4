/**
 * The fault campaigns (issue 17), shared by `npm run bench -- faults` (many kills) and
 * tests/faults/faults.test.ts (a few): each runs in a temp folder of its own with the children's
 * TMPDIR pointed into it, and returns one line of counts; all but runs and kills landed must be 0.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { damageCampaign, QUICK_MODES } from './damage.js';
import { hostileCampaign } from './hostile.js';
import { captionCampaign, exportCampaign, teachCampaign } from './kills.js';
import { seeded, type CampaignContext, type CampaignLine } from './tally.js';

export { MUST_BE_ZERO, type CampaignLine } from './tally.js';

export const CAMPAIGNS = {
  caption: captionCampaign,
  teach: teachCampaign,
  export: exportCampaign,
  hostile: (ctx: CampaignContext) => hostileCampaign(ctx, ctx.quick ? { cliSearches: 8 } : {}),
  damage: (ctx: CampaignContext) => damageCampaign(ctx, ctx.quick ? QUICK_MODES : undefined),
} as const;
export type CampaignName = keyof typeof CAMPAIGNS;

export interface CampaignOptions {
  /** Kills per campaign (per variant for teach and export; damaged libraries for damage). */
  kills: number;
  seed: number;
  /** The caption model the libraries start with (tests/library/model.ts's testModelDir()). */
  model: string;
  /** The test suite's short version: a sample of the CLI searches. */
  quick?: boolean;
  /** Keep the campaign's folder (to look at what a failure left). */
  keep?: boolean;
  log?: (line: string) => void;
}

export async function runCampaign(name: CampaignName, options: CampaignOptions): Promise<CampaignLine> {
  const work = mkdtempSync(join(tmpdir(), `lenscribe-faults-${name}-`));
  const tmp = join(work, 'tmp');
  mkdirSync(tmp);
  const ctx: CampaignContext = {
    kills: options.kills,
    quick: options.quick === true,
    rand: seeded(options.seed),
    work,
    model: options.model,
    tmp,
    env: { ...process.env, TMPDIR: tmp },
    log: options.log ?? (() => {}),
  };
  try {
    return { ...(await CAMPAIGNS[name](ctx)), seed: options.seed, kills_asked: options.kills };
  } finally {
    if (!options.keep) rmSync(work, { recursive: true, force: true });
    else ctx.log(`kept ${work}`);
  }
}
