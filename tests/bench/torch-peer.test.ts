import { describe, expect, it } from 'vitest';
import { blasRefusal, MIN_PEER_GFLOPS, type PeerBlas } from '../../bench/lib/torch-peer.js';

// What bench/blas_probe.py printed on this machine: OpenBLAS with the kernel the bench chose, and
// the reference BLAS forced with LD_PRELOAD.
const openblas: PeerBlas = {
  library: 'openblas',
  path: '/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3',
  torch_blas_info: 'generic',
  openblas_config: 'OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH NO_AFFINITY SkylakeX MAX_THREADS=64',
  openblas_corename: 'SkylakeX',
  openblas_threads: 2,
  system_libblas: '/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3',
  gflops_matmul_1024: 274.9,
  matmul_reps: 66,
  torch_threads: 2,
  max_rel_err: 1.07e-7,
  correct: true,
  env: {
    OPENBLAS_CORETYPE: 'SkylakeX',
    OPENBLAS_L2_SIZE: null,
    OPENBLAS_NUM_THREADS: '2',
    OMP_NUM_THREADS: '2',
    OMP_WAIT_POLICY: 'PASSIVE',
    LD_LIBRARY_PATH: '/usr/lib/x86_64-linux-gnu/openblas-pthread',
    LD_PRELOAD: null,
  },
};
const reference: PeerBlas = {
  ...openblas,
  library: 'reference',
  path: '/usr/lib/x86_64-linux-gnu/blas/libblas.so.3.11.0',
  openblas_config: undefined,
  openblas_corename: undefined,
  openblas_threads: undefined,
  gflops_matmul_1024: 2.3,
  matmul_reps: 3,
};

describe('blasRefusal: no ratio against a peer that is not at its best', () => {
  it('accepts OpenBLAS that multiplies correctly at a tuned speed', () => {
    expect(blasRefusal(openblas)).toBeNull();
  });

  it('refuses the reference BLAS, naming it and its measured speed', () => {
    const reason = blasRefusal(reference);
    expect(reason).toContain('reference BLAS');
    expect(reason).toContain('2.3 GFLOP/s');
  });

  it('refuses a BLAS whose name looks right but whose measured speed is not a tuned one', () => {
    const reason = blasRefusal({ ...openblas, gflops_matmul_1024: MIN_PEER_GFLOPS / 2 });
    expect(reason).toContain(`below the ${MIN_PEER_GFLOPS}`);
  });

  it('refuses wrong products however fast', () => {
    expect(blasRefusal({ ...openblas, correct: false, max_rel_err: 0.5 })).toContain('wrong products');
  });

  it('refuses a peer that did not report its BLAS', () => {
    expect(blasRefusal(undefined)).toContain('did not report');
  });
});
