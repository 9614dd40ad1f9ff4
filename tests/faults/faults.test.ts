/**
 * The fault campaign (issue 17), short: a few SIGKILLs each during `caption`, `teach` (with and
 * without --activate) and `export`, then restarts; hostile CLI and HTTP inputs; damaged databases.
 * Every must-be-0 count of each campaign line is 0, and the kills landed. `npm run bench -- faults`
 * runs the same campaigns with more kills (and more damaged databases).
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { testModelDir } from '../library/model.js';
import { MUST_BE_ZERO, runCampaign, type CampaignName } from './campaign.js';

const model = testModelDir();
const built = existsSync(resolve('dist/cli.js')) && existsSync(resolve('dist/renderer/index.html'));
const seed = Number(process.env.FAULTS_SEED ?? Date.now() % 1_000_000);

/** Kills per campaign (per variant for teach and export). */
const KILLS: Record<CampaignName, number> = { caption: 2, teach: 1, export: 1, hostile: 0, damage: 0 };

describe.skipIf(!model || !built)(`fault campaigns (seed ${seed})`, () => {
  for (const name of Object.keys(KILLS) as CampaignName[]) {
    it(`${name}: nothing lost, broken or left behind`, async () => {
      const line = await runCampaign(name, { kills: KILLS[name], seed, model: model!, quick: true });
      const bad = Object.fromEntries(MUST_BE_ZERO.filter((k) => typeof line[k] === 'number' && line[k] !== 0).map((k) => [k, line[k]]));
      expect(bad, JSON.stringify(line.problems ?? [])).toEqual({});
      expect(line.runs).toBeGreaterThan(0);
      if (KILLS[name]) expect(line.kills_landed, 'a kill landed').toBeGreaterThan(0);
    }, 120_000);
  }
});
