/**
 * What a packaged Lenscribe must hold, checked on electron-builder's unpacked output (the
 * `resources` folder beside the executable): the built app inside app.asar, everything native
 * outside it in app.asar.unpacked, the caption models as extra resources whose sha256 still
 * match their cards, and the updater's feed. Returns one line per problem (none: fine).
 * Used by tests/packaged/unpacked-app.test.ts here and by the release workflow on each OS's
 * real build (tests/packaged/check-layout.ts).
 */
import { extractFile, listPackage, statFile } from '@electron/asar';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import jsYaml from 'js-yaml';

export interface Target {
  /** Node's name of the OS the build is for: 'linux', 'win32', 'darwin'. */
  platform: string;
  arch: string;
}

/** Packages the app loads natively: each must be outside the asar, where its binaries can be loaded. */
export const UNPACKED_PACKAGES = ['onnxruntime-node', 'sharp', 'better-sqlite3', 'exiftool-vendored'];

async function sha256(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Bare package names a built bundle requires or imports (literal specifiers; Node's own modules left out). */
export function importedPackages(source: string): string[] {
  const names = new Set<string>();
  const pattern = /(?:\b\w*require\w*|\bimport)\s*\(\s*["']([^"'.\s/][^"'\s]*)["']\s*\)|\bfrom\s*["']([^"'.\s/][^"'\s]*)["']/g;
  for (const m of source.matchAll(pattern)) {
    const spec = m[1] ?? m[2];
    if (spec.startsWith('node:') || builtinModules.includes(spec.split('/')[0]) || spec === 'electron') continue;
    const parts = spec.split('/');
    names.add(spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]);
  }
  return [...names].sort();
}

function checkAppFiles(asar: string, entries: Set<string>, unpackedDir: string): string[] {
  const problems: string[] = [];
  for (const f of ['/package.json', '/dist/main/main.cjs', '/dist/main/preload.cjs', '/dist/renderer/index.html'])
    if (!entries.has(f)) problems.push(`app.asar lacks ${f}`);
  if (![...entries].some((e) => /^\/dist\/renderer\/assets\/[^/]+\.js$/.test(e))) problems.push('app.asar lacks the renderer bundle');
  const workers = [...entries].filter((e) => /^\/dist\/[^/]+\.worker\.js$/.test(e));
  if (workers.length === 0) problems.push('app.asar lists no dist/*.worker.js');
  for (const w of workers) if (!existsSync(join(unpackedDir, w))) problems.push(`worker ${w} is not in app.asar.unpacked`);
  for (const e of entries) {
    if (/^\/(src|tests|bench|tools|samples|models|\.cache)$/.test(e)) problems.push(`app.asar holds ${e}: not part of the app`);
    else if (/\.(map|ts|tsx)$/.test(e) && !e.includes('/node_modules/')) problems.push(`app.asar holds ${e}`);
  }
  // Every package the built code loads must ship (a devDependency would not).
  const bundles = ['/dist/main/main.cjs', ...[...entries].filter((e) => /^\/dist\/[^/]+\.js$/.test(e))].filter((e) => entries.has(e));
  for (const b of bundles)
    for (const name of importedPackages(extractFile(asar, b.slice(1)).toString('utf8')))
      if (!entries.has(`/node_modules/${name}/package.json`)) problems.push(`${b.slice(1)} loads ${name}, which is not packaged`);
  return problems;
}

function checkNative(asar: string, entries: Set<string>, unpackedDir: string, target: Target): string[] {
  const problems: string[] = [];
  for (const p of UNPACKED_PACKAGES)
    if (!existsSync(join(unpackedDir, 'node_modules', p, 'package.json'))) problems.push(`${p} is not in app.asar.unpacked`);
  const sharpPlatform = `@img/sharp-${target.platform}-${target.arch}`;
  if (!existsSync(join(unpackedDir, 'node_modules', sharpPlatform))) problems.push(`${sharpPlatform} is not in app.asar.unpacked`);
  for (const e of entries) {
    if (!e.endsWith('.node') && !e.endsWith('.dll') && !e.endsWith('.dylib') && !/\.so(\.\d+)*$/.test(e)) continue;
    const unpacked = (statFile(asar, e.slice(1)) as { unpacked?: boolean }).unpacked === true;
    if (!unpacked || !existsSync(join(unpackedDir, e)))
      problems.push(`native file ${e.slice(1)} is inside app.asar (it cannot be loaded from there)`);
  }
  const ortBin = join(unpackedDir, 'node_modules', 'onnxruntime-node', 'bin', 'napi-v6');
  if (!existsSync(join(ortBin, target.platform, target.arch, 'onnxruntime_binding.node')))
    problems.push(`onnxruntime-node has no binding for ${target.platform}-${target.arch}`);
  if (existsSync(ortBin))
    for (const os of readdirSync(ortBin))
      for (const arch of readdirSync(join(ortBin, os)))
        if (os !== target.platform || arch !== target.arch) problems.push(`onnxruntime-node's ${os}-${arch} binaries ship too`);
  // The encoder's DirectML provider needs its DLL beside the binding (src/inference/encoder/session.ts).
  if (target.platform === 'win32' && !existsSync(join(ortBin, 'win32', target.arch, 'DirectML.dll')))
    problems.push('DirectML.dll is missing');
  return problems;
}

async function checkModels(resources: string): Promise<string[]> {
  const problems: string[] = [];
  const models = join(resources, 'models');
  const modelJson = join(models, 'default', 'model.json');
  if (!existsSync(modelJson)) return ['models/default/model.json is not among the resources'];
  const card = JSON.parse(readFileSync(modelJson, 'utf8')) as {
    encoder: { file: string; sha256: string };
    files: Record<string, { sha256: string }>;
  };
  for (const [name, { sha256: want }] of Object.entries(card.files)) {
    const file = join(models, 'default', name);
    if (!existsSync(file)) problems.push(`models/default/${name} is missing`);
    else if ((await sha256(file)) !== want) problems.push(`models/default/${name}: sha256 differs from model.json`);
  }
  const encoderFile = join(models, card.encoder.file.replace(/^models:/, ''));
  if (!existsSync(encoderFile)) problems.push(`the default model's encoder ${card.encoder.file} is missing`);
  else if ((await sha256(encoderFile)) !== card.encoder.sha256) problems.push(`${card.encoder.file}: sha256 differs from model.json`);
  for (const enc of readdirSync(join(models, 'encoders'))) {
    const dir = join(models, 'encoders', enc);
    if (enc.startsWith('resnet50')) problems.push(`models/encoders/${enc} ships (training and benchmarks only)`);
    const sources = existsSync(join(dir, 'source')) ? readdirSync(join(dir, 'source')) : [];
    for (const s of sources) if (/\.(json|bin)$/.test(s)) problems.push(`TensorFlow.js source models/encoders/${enc}/source/${s} ships`);
    if (!existsSync(join(dir, 'card.json'))) continue;
    const encCard = JSON.parse(readFileSync(join(dir, 'card.json'), 'utf8')) as { file: string; sha256: string };
    const file = join(dir, encCard.file);
    if (!existsSync(file)) problems.push(`models/encoders/${enc}/${encCard.file} is missing`);
    else if ((await sha256(file)) !== encCard.sha256)
      problems.push(`models/encoders/${enc}/${encCard.file}: sha256 differs from card.json`);
  }
  return problems;
}

function checkUpdateFeed(resources: string): string[] {
  const file = join(resources, 'app-update.yml');
  if (!existsSync(file)) return ['app-update.yml is missing (electron-updater would have no feed)'];
  const feed = jsYaml.load(readFileSync(file, 'utf8')) as { provider?: string; owner?: string; repo?: string };
  return feed.provider === 'github' && feed.owner && feed.repo
    ? []
    : [`app-update.yml names no GitHub releases feed: ${JSON.stringify(feed)}`];
}

/** Every problem with the packaged app whose resources folder is `resources`. */
export async function checkPackagedApp(resources: string, target: Target): Promise<string[]> {
  const asar = join(resources, 'app.asar');
  if (!existsSync(asar)) return [`no app.asar in ${resources}`];
  const entries = new Set(listPackage(asar, { isPack: false }).map((e) => e.replaceAll('\\', '/')));
  const unpackedDir = join(resources, 'app.asar.unpacked');
  return [
    ...checkAppFiles(asar, entries, unpackedDir),
    ...checkNative(asar, entries, unpackedDir, target),
    ...(await checkModels(resources)),
    ...checkUpdateFeed(resources),
  ];
}
