/**
 * Make better-sqlite3 load a given addon file (the Electron-ABI build) in this thread. The
 * library opens its database without a `nativeBinding` option, so the addon is pre-loaded
 * under the paths better-sqlite3's `bindings` lookup resolves to (build/Release/… first): its
 * require() then returns this addon. Only the calling thread's module cache is affected; Node's
 * own build stays in place for the CLI and tests.
 */
import Module, { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export function useSqliteBinding(file: string, fromUrl: string): void {
  const nodeRequire = createRequire(fromUrl);
  const pkgDir = dirname(nodeRequire.resolve('better-sqlite3/package.json'));
  const addon = { exports: {} as unknown };
  process.dlopen(addon as unknown as NodeJS.Module, file);
  const cache = (Module as unknown as { _cache: Record<string, unknown> })._cache;
  const ModuleClass = Module as unknown as new (id: string) => { filename: string; exports: unknown; loaded: boolean };
  for (const sub of [join('build', 'Release'), join('build', 'Debug'), 'build']) {
    const target = join(pkgDir, sub, 'better_sqlite3.node');
    const mod = new ModuleClass(target);
    mod.filename = target;
    mod.exports = addon.exports;
    mod.loaded = true;
    cache[target] = mod;
  }
}
