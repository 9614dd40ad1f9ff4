/**
 * The release workflow's layout check of a real build:
 *   tsx tests/packaged/check-layout.ts <resources folder> [platform] [arch]
 * (platform and arch default to this machine's). Prints each problem; exit 1 if any.
 */
import { checkPackagedApp } from './layout.js';

const [resources, platform = process.platform, arch = process.arch] = process.argv.slice(2);
if (!resources) {
  console.error('usage: tsx tests/packaged/check-layout.ts <resources folder> [platform] [arch]');
  process.exit(1);
}
const problems = await checkPackagedApp(resources, { platform, arch });
for (const p of problems) console.error(`packaged app: ${p}`);
console.log(problems.length === 0 ? `packaged app in ${resources}: layout ok` : `${problems.length} problems`);
process.exit(problems.length === 0 ? 0 : 1);
