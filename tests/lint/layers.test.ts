/**
 * The layering rules bite: dependency-cruiser with the project's own config fails on an upward
 * import, a cycle, and a renderer that reaches past the contract; the node tsconfig refuses
 * `window`, the renderer's refuses `node:` modules. Each probe is a small tree in a temporary
 * folder, so the real src/ is never touched (`npm test` lints the real tree before vitest runs).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const bin = (name: string) => join(root, 'node_modules', '.bin', name);
const made: string[] = [];

function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'lenscribe-layers-'));
  made.push(dir);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

/** Runs a command in `cwd`; returns its exit code and everything it printed. */
function run(cwd: string, cmd: string, args: string[]): { code: number; out: string } {
  try {
    return { code: 0, out: execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: 'pipe' }) };
  } catch (e) {
    const err = e as { status: number; stdout: string; stderr: string };
    return { code: err.status, out: `${err.stdout}${err.stderr}` };
  }
}

const cruise = (dir: string) => run(dir, bin('depcruise'), ['src', '--config', join(root, '.dependency-cruiser.cjs')]);

/** A minimal project the config can resolve against. */
const project = {
  'package.json': '{"name":"probe","type":"module"}',
  'tsconfig.json':
    '{"compilerOptions":{"module":"NodeNext","moduleResolution":"NodeNext","allowImportingTsExtensions":true,"noEmit":true}}',
  'src/shared/errors.ts': 'export class UserError extends Error {}\n',
  'src/shared/api-contract.ts': 'export const apiMethods = ["library.info"];\nexport type Method = string;\n',
};

afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

describe('dependency-cruiser rules', () => {
  it('pass on a tree whose imports point down', () => {
    const dir = tree({
      ...project,
      'src/model/matmul.ts': "import { UserError } from '../shared/errors.js';\nexport const e = UserError;\n",
      'src/main/library.ts': "import { e } from '../model/matmul.js';\nexport const x = e;\n",
      'src/renderer/app.ts': "import type { Method } from '../shared/api-contract.js';\nexport const m: Method = 'x';\n",
    });
    const { code, out } = cruise(dir);
    expect(out).toContain('no dependency violations');
    expect(code).toBe(0);
  });

  it('fail on an upward import (model -> main)', () => {
    const dir = tree({
      ...project,
      'src/main/library.ts': 'export const x = 1;\n',
      'src/model/decoder.ts': "import { x } from '../main/library.js';\nexport const y = x;\n",
    });
    const { code, out } = cruise(dir);
    expect(code).not.toBe(0);
    expect(out).toContain('model-imports-only-shared-model');
    expect(out).toContain('src/model/decoder.ts');
  });

  it('fail on a sideways import between training and inference, and on the app importing build tooling', () => {
    const dir = tree({
      ...project,
      'src/inference/encoder.ts': 'export const enc = 1;\n',
      'src/convert/build.ts': 'export const build = 1;\n',
      'src/training/trainer.ts': "import { enc } from '../inference/encoder.js';\nexport const t = enc;\n",
      'src/main/app.ts': "import { build } from '../convert/build.js';\nexport const a = build;\n",
    });
    const { code, out } = cruise(dir);
    expect(code).not.toBe(0);
    expect(out).toContain('training-imports-only-shared-model-training');
    expect(out).toContain('app-never-imports-build-tooling');
  });

  it('fail on a cycle', () => {
    const dir = tree({
      ...project,
      'src/model/a.ts': "import { b } from './b.js';\nexport const a = () => b;\n",
      'src/model/b.ts': "import { a } from './a.js';\nexport const b = () => a;\n",
    });
    const { code, out } = cruise(dir);
    expect(code).not.toBe(0);
    expect(out).toContain('no-circular');
  });

  it('fail when the renderer takes values from the contract, reaches past shared, or imports Node', () => {
    const dir = tree({
      ...project,
      'src/main/library.ts': 'export const x = 1;\n',
      'src/renderer/app.ts':
        "import { apiMethods } from '../shared/api-contract.js';\nimport { x } from '../main/library.js';\nimport { readFileSync } from 'node:fs';\nexport const all = [apiMethods, x, readFileSync];\n",
    });
    const { code, out } = cruise(dir);
    expect(code).not.toBe(0);
    expect(out).toContain('renderer-contract-types-only');
    expect(out).toContain('renderer-sees-only-shared');
    expect(out).toContain('renderer-no-node');
  });
});

describe('tsconfigs', () => {
  // The probes live outside the checkout: point them at its type definitions.
  const typeRoots = [join(root, 'node_modules', '@types')];
  const tsc = (dir: string) => run(dir, bin('tsc'), ['-p', 'tsconfig.json']);

  it('node code cannot see window; the renderer cannot see node: modules', () => {
    const nodeDir = tree({
      'tsconfig.json': JSON.stringify({ extends: join(root, 'tsconfig.json'), compilerOptions: { typeRoots }, include: ['probe.ts'] }),
      'probe.ts': 'export const w = window.location.href;\n',
    });
    const node = tsc(nodeDir);
    expect(node.code).not.toBe(0);
    expect(node.out).toMatch(/Cannot find name 'window'/);

    const webDir = tree({
      'tsconfig.json': JSON.stringify({
        extends: join(root, 'src/renderer/tsconfig.json'),
        compilerOptions: { typeRoots },
        include: ['probe.ts'],
      }),
      'probe.ts': "import { readFileSync } from 'node:fs';\nexport const r = readFileSync;\n",
    });
    const web = tsc(webDir);
    expect(web.code).not.toBe(0);
    expect(web.out).toMatch(/Cannot find module 'node:fs'/);
  });
});
