/**
 * The packaged app's layout, on electron-builder's real unpacked output (build-unpacked.ts: a
 * stand-in for Electron's binary, which cannot be downloaded here), and the same check on a
 * build from a broken config. Linux x64 only: on other
 * hosts the release workflow runs the same check (check-layout.ts) on the real build.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import jsYaml from 'js-yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildUnpacked } from './build-unpacked.js';
import { checkPackagedApp, importedPackages } from './layout.js';

const root = resolve(import.meta.dirname, '..', '..');
const here = { platform: 'linux', arch: 'x64' };
const configText = readFileSync(join(root, 'electron-builder.yml'), 'utf8');

describe('electron-builder configuration', () => {
  it('targets only architectures onnxruntime-node ships a binding for', () => {
    const config = jsYaml.load(configText) as Record<string, { target?: Array<string | { target: string; arch?: string[] }> }>;
    const platforms = { win: 'win32', mac: 'darwin', linux: 'linux' } as const;
    const missing: string[] = [];
    for (const [key, platform] of Object.entries(platforms))
      for (const t of config[key]?.target ?? []) {
        const archs = typeof t === 'string' ? ['x64'] : (t.arch ?? ['x64']);
        for (const arch of archs) {
          const binding = join(root, 'node_modules/onnxruntime-node/bin/napi-v6', platform, arch, 'onnxruntime_binding.node');
          if (!existsSync(binding)) missing.push(`${platform}-${arch}`);
        }
      }
    expect(missing).toEqual([]);
  });

  it('finds the packages a built bundle loads', () => {
    const bundle = `const a = require("better-sqlite3"); const b = __require2('onnxruntime-node/dist/binding');
      import x from "@img/sharp-linux-x64/lib/x.node"; import("zod"); require("node:fs"); require("path"); require("./local.js");`;
    expect(importedPackages(bundle)).toEqual(['@img/sharp-linux-x64', 'better-sqlite3', 'onnxruntime-node', 'zod']);
  });
});

describe.skipIf(process.platform !== 'linux' || process.arch !== 'x64')('unpacked app (electron-builder --dir)', () => {
  let resources = '';
  beforeAll(async () => {
    resources = await buildUnpacked(mkdtempSync(join(tmpdir(), 'lenscribe-package-')));
  });

  it('holds the built app in app.asar, native code and workers outside it, the models with their cards’ sha256, and the update feed', async () => {
    expect(await checkPackagedApp(resources, here)).toEqual([]);
  });

  it('a config that ships the TF.js sources and lets a platform `files` list replace the top-level one fails the check', async () => {
    const broken = configText
      .replace(/^\s*- "!encoders\/\*\/source\/\*\.\{json,bin\}"\n/m, '')
      // A platform's `files` replaces the top-level list (electron-builder does not merge them).
      .replace(/^linux:\n/m, 'linux:\n  files: ["!**/*.map"]\n');
    expect(broken).not.toContain('!encoders/*/source/');
    expect(broken).toContain('files: ["!**/*.map"]');
    const dir = mkdtempSync(join(tmpdir(), 'lenscribe-package-broken-'));
    writeFileSync(join(dir, 'electron-builder.yml'), broken);
    const problems = await checkPackagedApp(await buildUnpacked(dir, join(dir, 'electron-builder.yml')), here);
    expect(problems).toContain('TensorFlow.js source models/encoders/mobilenet_v3_centernet/source/centernet.json ships');
    expect(problems).toContain('app.asar holds /src: not part of the app');
  });
});
