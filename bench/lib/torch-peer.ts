/**
 * The PyTorch peer of the benches (train, decode), at its best: Debian's python3-torch on
 * OpenBLAS, with the bench's thread count, and a report of the BLAS it really runs on.
 *
 * Debian's torch calls whatever libblas.so.3 the dynamic linker finds (BLAS_INFO=generic). On a
 * fresh machine that is the reference BLAS (~5 GFLOP/s against ~200 for OpenBLAS), which made
 * `bench train` report 18.8 instead of ~1. So:
 *  - ensureTorchPeer() installs python3-torch and libopenblas0-pthread with apt-get when dpkg
 *    says they are missing (root only), with apt's output on stderr, and names what it installed.
 *  - torchPeerEnv() puts OpenBLAS's folder first on LD_LIBRARY_PATH for the peer process alone.
 *    Chosen over `update-alternatives --set`: it changes nothing on the shared machine (tests,
 *    CI and the other users keep the libblas.so.3 the alternatives give them), it holds whatever
 *    the alternatives point at, and it ends with the peer. An LD_PRELOAD the caller sets still
 *    wins, which is how one forces the reference BLAS to see the refusal:
 *    `LD_PRELOAD=/usr/lib/x86_64-linux-gnu/blas/libblas.so.3 npm run bench -- train`.
 *  - Waiting: our side's onnxruntime threads do not spin-wait between products unless
 *    LENSCRIBE_ORT_SPIN=1 (src/model/matmul.ts); the peer's libgomp threads spin by default, and on
 *    a shared 2-core machine they then fight OpenBLAS's own threads (a training round measured
 *    1.3 s with OMP_WAIT_POLICY=PASSIVE, 2.3 s without). So the peer gets the same policy:
 *    PASSIVE, or libgomp's default when ours spins (a caller's OMP_WAIT_POLICY is kept).
 *  - The kernel: the machine may set OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE (older OpenBLAS builds
 *    compute wrong results or crash on some processors without them), which can slow a current
 *    OpenBLAS; and an OpenBLAS older than the processor does not know it and falls back to a
 *    generic kernel (Debian 12's 0.3.21 runs "Prescott", SSE3, on a Sapphire Rapids: ~35 GFLOP/s
 *    where its AVX-512 kernels reach ~150). So the peer's BLAS is probed, in a process of its own
 *    each, as the machine has it, with both variables unset (when the machine sets them), and with
 *    each OPENBLAS_CORETYPE the processor's flags support (L2_SIZE then unset too); the peer alone
 *    gets the fastest that ran and multiplied correctly, the machine's unless another is >10 %
 *    faster. Tests and CI never change these variables.
 *  - The peer puts bench/blas_probe.py's report in its JSON; blasRefusal() says why a ratio
 *    against that BLAS would mislead (reference BLAS, wrong products, or too slow to be tuned).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

/** What bench/blas_probe.py reports about the BLAS of the process it runs in. */
export interface PeerBlas {
  library: 'openblas' | 'reference' | 'mkl' | 'blis' | 'atlas' | 'unknown';
  path: string | null;
  torch_blas_info: string | null;
  openblas_config?: string;
  openblas_corename?: string;
  openblas_threads?: number;
  system_libblas: string | null;
  gflops_matmul_1024: number;
  matmul_reps: number;
  torch_threads: number;
  max_rel_err: number;
  correct: boolean;
  /** The variables that set the peer's BLAS and threads, as the peer saw them. */
  env: Record<string, string | null>;
  /** The OpenBLAS kernels tried for the peer (torchPeerEnv), when it runs on OpenBLAS. */
  kernel_choice?: KernelChoice;
}

/** One probe of the peer's BLAS under one setting: "machine", "unset" or "OPENBLAS_CORETYPE=<core>". */
export type KernelTrial = { setting: string } & ({ corename: string | null; gflops: number; correct: boolean } | { failed: string });
export interface KernelChoice {
  trials: KernelTrial[];
  chosen: string;
}

export interface TorchPeer {
  /** The interpreter that has Debian's torch (`python3` on PATH may be a pyenv shim without it). */
  python: string;
  /** The folder of OpenBLAS's libblas.so.3 (pthread build). */
  openblasDir: string;
}

/** A tuned BLAS multiplies 1024² float32 at 50+ GFLOP/s on one core of anything recent; the reference BLAS at ~5. */
export const MIN_PEER_GFLOPS = 20;
const PACKAGES = ['python3-torch', 'libopenblas0-pthread'];
const CORE_VARS = ['OPENBLAS_CORETYPE', 'OPENBLAS_L2_SIZE'];
const PROBE = fileURLToPath(new URL('../blas_probe.py', import.meta.url));
export const BENCH_DIR = dirname(PROBE);

export function ensureTorchPeer(): TorchPeer {
  ensurePackages(PACKAGES);
  const python = ['/usr/bin/python3', 'python3'].find(
    (py) => spawnSync(py, ['-c', 'import torch, numpy'], { stdio: 'ignore' }).status === 0,
  );
  if (!python) throw new Error(`python3-torch is installed but no python3 imports torch and numpy`);
  const files = spawnSync('dpkg', ['-L', 'libopenblas0-pthread'], { encoding: 'utf8' }).stdout ?? '';
  const blas = files.split('\n').find((f) => f.endsWith('/openblas-pthread/libblas.so.3'));
  if (!blas) throw new Error('libopenblas0-pthread is installed but has no openblas-pthread/libblas.so.3');
  return { python, openblasDir: dirname(blas) };
}

/** The environment of a peer process with `threads` threads on OpenBLAS's best kernel here (see the header). */
export function torchPeerEnv(peer: TorchPeer, threads: number): { env: NodeJS.ProcessEnv; kernelChoice?: KernelChoice } {
  const t = String(threads);
  const libraryPath = [peer.openblasDir, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    OMP_NUM_THREADS: t,
    MKL_NUM_THREADS: t,
    OPENBLAS_NUM_THREADS: t,
    LD_LIBRARY_PATH: libraryPath,
    // Importing bench/blas_probe.py would leave bench/__pycache__ in the work tree.
    PYTHONDONTWRITEBYTECODE: '1',
  };
  if (env.OMP_WAIT_POLICY === undefined && process.env.LENSCRIBE_ORT_SPIN !== '1') env.OMP_WAIT_POLICY = 'PASSIVE';
  const machine = probe(peer.python, env, threads);
  // Not OpenBLAS (an LD_PRELOAD of another BLAS, say): its kernel variables mean nothing.
  if (!('library' in machine) || machine.library !== 'openblas') return { env };
  const settings = new Map<string, NodeJS.ProcessEnv>([['machine', env]]);
  const without = { ...env };
  for (const v of CORE_VARS) delete without[v];
  if (CORE_VARS.some((v) => env[v] !== undefined)) settings.set('unset', without);
  for (const core of supportedCoreTypes()) settings.set(`OPENBLAS_CORETYPE=${core}`, { ...without, OPENBLAS_CORETYPE: core });
  const trials: KernelTrial[] = [trial('machine', machine)];
  for (const [setting, e] of [...settings].slice(1)) trials.push(trial(setting, probe(peer.python, e, threads)));
  const speed = (x: KernelTrial) => ('correct' in x && x.correct ? x.gflops : 0);
  const fastest = trials.reduce((a, b) => (speed(b) > speed(a) ? b : a));
  const chosen = speed(fastest) > 1.1 * speed(trials[0]!) ? fastest.setting : 'machine';
  return { env: settings.get(chosen)!, kernelChoice: { trials, chosen } };
}

/** OpenBLAS core types this processor's flags can run, fastest family first (x86 Linux; none elsewhere). */
function supportedCoreTypes(): string[] {
  let cpuinfo = '';
  try {
    cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    return [];
  }
  const flags = new Set(/^flags\s*:(.*)$/m.exec(cpuinfo)?.[1]?.trim().split(/\s+/) ?? []);
  const has = (...f: string[]) => f.every((x) => flags.has(x));
  const cores: string[] = [];
  const avx512 = has('avx512f', 'avx512cd', 'avx512bw', 'avx512dq', 'avx512vl');
  if (avx512 && has('avx512_bf16')) cores.push('Cooperlake');
  if (avx512) cores.push('SkylakeX');
  if (has('avx2', 'fma')) cores.push(cpuinfo.includes('AuthenticAMD') ? 'Zen' : 'Haswell');
  return cores;
}

function trial(setting: string, outcome: PeerBlas | { failed: string }): KernelTrial {
  if ('failed' in outcome) return { setting, failed: outcome.failed };
  return { setting, corename: outcome.openblas_corename ?? null, gflops: outcome.gflops_matmul_1024, correct: outcome.correct };
}

/** Why a ratio against this BLAS would mislead, or null when the peer runs at its best. */
export function blasRefusal(blas: PeerBlas | undefined): string | null {
  if (!blas) return 'the peer did not report its BLAS';
  const speed = `${blas.gflops_matmul_1024} GFLOP/s on a 1024² float32 matmul`;
  if (blas.library === 'reference') return `the peer runs on the reference BLAS (${blas.path}, ${speed}), not a tuned one`;
  if (!blas.correct) return `the peer's BLAS (${blas.library}) computes wrong products (max relative error ${blas.max_rel_err})`;
  if (blas.gflops_matmul_1024 < MIN_PEER_GFLOPS)
    return `the peer's BLAS (${blas.library}, ${blas.path}) reaches only ${speed}, below the ${MIN_PEER_GFLOPS} of a tuned BLAS`;
  return null;
}

function probe(python: string, env: NodeJS.ProcessEnv, threads: number): PeerBlas | { failed: string } {
  const r = spawnSync(python, [PROBE, String(threads)], { env, encoding: 'utf8' });
  if (r.status !== 0)
    return { failed: r.signal ? `killed by ${r.signal}` : `exit ${r.status}: ${(r.stderr ?? '').trim().split('\n').at(-1)}` };
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as PeerBlas;
}

function ensurePackages(packages: string[]): void {
  const missing = packages.filter((p) => !isInstalled(p));
  if (!missing.length) return;
  if (process.getuid?.() !== 0)
    throw new Error(`the PyTorch peer needs Debian's ${missing.join(' ')}: apt-get install -y ${missing.join(' ')} (as root)`);
  console.error(`bench: the PyTorch peer needs ${missing.join(', ')}: installing with apt-get`);
  const before = installedPackages();
  // `apt-get update` once, first when the lists know no candidate, else only if the install fails (stale lists).
  const updated = !missing.every(hasCandidate) && aptGet(['update']);
  let ok = aptGet(['install', '-y', ...missing]);
  if (!ok && !updated) ok = aptGet(['update']) && aptGet(['install', '-y', ...missing]);
  if (!ok) throw new Error(`apt-get install -y ${missing.join(' ')} failed`);
  const added = [...installedPackages()].filter((p) => !before.has(p));
  const others = added.filter((p) => !missing.includes(p.replace(/:.*/, '')));
  console.error(`bench: installed ${missing.join(', ')}${others.length ? ` and ${others.length} dependencies (${others.join(' ')})` : ''}`);
}

function aptGet(args: string[]): boolean {
  // apt's output goes to stderr: stdout carries the benches' JSON lines only.
  const r = spawnSync('apt-get', args, { stdio: ['ignore', 2, 2], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  return r.status === 0;
}

function isInstalled(pkg: string): boolean {
  const r = spawnSync('dpkg', ['-s', pkg], { encoding: 'utf8' });
  return r.status === 0 && /^Status: install ok installed$/m.test(r.stdout);
}

function hasCandidate(pkg: string): boolean {
  const out = spawnSync('apt-cache', ['policy', pkg], { encoding: 'utf8' }).stdout ?? '';
  return /Candidate: (?!\(none\))\S/.test(out);
}

function installedPackages(): Set<string> {
  const out = spawnSync('dpkg-query', ['-W', '-f', '${db:Status-Abbrev} ${Package}\n'], { encoding: 'utf8' }).stdout ?? '';
  return new Set(
    out
      .split('\n')
      .filter((l) => l.startsWith('ii'))
      .map((l) => l.split(' ').at(-1)!),
  );
}
