/**
 * `npm run bench -- faults [N] [campaign…]`: the fault campaign of issue 17, offline and on
 * loopback only, on generated and Flickr8k photos (../shared/datasets/flickr8k) with the small
 * test caption model (tests/library/model.ts): N random SIGKILLs during `caption`, `teach` (with
 * and without --activate) and `export` (xmp and txt sidecars), each followed by a restart; hostile
 * CLI and HTTP inputs; N damaged databases. One JSON line per campaign: runs, kills landed,
 * integrity failures, lost or changed user captions, photos showing an inactive model's caption,
 * leftover processes and temp files, and the campaign's own counts — all but runs and kills 0.
 * N also from FAULTS_KILLS (default 6); the seed from FAULTS_SEED; FAULTS_KEEP=1 keeps the folders.
 * Exit 1 when a must-be-0 count is not. The same campaigns, with a few kills, run in tests/faults.
 */
import { CAMPAIGNS, MUST_BE_ZERO, runCampaign, type CampaignName } from '../tests/faults/campaign.js';
import { testModelDir } from '../tests/library/model.js';
import { datasetPath } from '../src/shared/paths.js';

const args = process.argv.slice(2);
const kills = Number(args.find((a) => /^\d+$/.test(a)) ?? process.env.FAULTS_KILLS ?? 6);
const names = args.filter((a) => a in CAMPAIGNS) as CampaignName[];
const seed = Number(process.env.FAULTS_SEED ?? Date.now() % 1_000_000);

const model = testModelDir();
if (!model) {
  console.error(
    `faults: cannot run: ${datasetPath('flickr8k', 'captions.jsonl')} (Flickr8k) is missing (LENSCRIBE_DATASETS says where the datasets are)`,
  );
  process.exit(1);
}
let failed = false;
for (const name of names.length ? names : (Object.keys(CAMPAIGNS) as CampaignName[])) {
  const line = await runCampaign(name, {
    kills,
    seed,
    model,
    keep: process.env.FAULTS_KEEP === '1',
    log: (l) => process.stderr.write(`faults: ${l}\n`),
  });
  console.log(JSON.stringify(line));
  if (MUST_BE_ZERO.some((k) => typeof line[k] === 'number' && line[k] !== 0)) failed = true;
}
process.exit(failed ? 1 : 0);
