"""Which BLAS this process's PyTorch multiplies matrices with, measured rather than trusted.

Debian's torch is built with BLAS_INFO=generic: it calls whatever libblas.so.3 the dynamic linker
hands it, the reference BLAS (~5 GFLOP/s) or OpenBLAS (~200). The benches' PyTorch peers import
blas_report() and put it in their JSON, and bench/lib/torch-peer.ts refuses a ratio against a
reference BLAS. Run as a script (`python3 blas_probe.py [threads]`) it prints the report as one
JSON line, which the benches use to try OPENBLAS_CORETYPE settings before starting a peer.
"""
import ctypes, json, os, sys, sysconfig, time
import torch

# What decides the BLAS and its threads in this process, reported as seen.
ENV_KEYS = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "OMP_WAIT_POLICY", "LD_LIBRARY_PATH", "LD_PRELOAD")

def mappings():
    """(start, end, real path) of every file mapped into this process."""
    out = []
    with open("/proc/self/maps") as maps:
        for line in maps:
            fields = line.split()
            if len(fields) >= 6 and fields[5].startswith("/"):
                start, end = (int(x, 16) for x in fields[0].split("-"))
                out.append((start, end, fields[5]))
    return out


def sgemm_provider():
    """The file whose sgemm_ torch's calls bind to, as the dynamic linker resolves them.

    Several BLAS can be mapped at once (an LD_PRELOAD'ed libblas.so.3 and OpenBLAS as
    liblapack.so.3, say), and the maps are in address order, so names alone mislead: look the
    symbol up in the global scope first (preloads, RTLD_GLOBAL objects), then in libtorch_cpu's
    own dependencies, which is the order the linker binds libtorch_cpu's undefined sgemm_ in.
    """
    maps = mappings()
    torch_cpu = next((p for _, _, p in maps if os.path.basename(p).startswith("libtorch_cpu.so")), None)
    for handle in (None, torch_cpu):
        if handle is None and torch_cpu is None:
            continue
        try:
            address = ctypes.cast(getattr(ctypes.CDLL(handle), "sgemm_"), ctypes.c_void_p).value
        except (AttributeError, OSError):
            continue
        return next((p for start, end, p in maps if start <= address < end), None)
    return None


def library_of(path):
    p = path.lower()
    for name in ("openblas", "blis", "mkl", "atlas"):
        if name in p:
            return name
    # Debian's reference BLAS: /usr/lib/<multiarch>/blas/libblas.so.3.x (netlib).
    if "/blas/libblas.so" in p:
        return "reference"
    return "unknown"


def openblas_info(path):
    lib = ctypes.CDLL(path)  # already mapped: the same handle torch uses
    info = {}
    for key, fn in (("openblas_config", "openblas_get_config"), ("openblas_corename", "openblas_get_corename")):
        f = getattr(lib, fn, None)
        if f is not None:
            f.restype = ctypes.c_char_p
            info[key] = f().decode().strip()
    f = getattr(lib, "openblas_get_num_threads", None)
    if f is not None:
        info["openblas_threads"] = f()
    return info


def max_rel_error(a, b):
    """torch's float32 product against float64 sums done without BLAS, on sampled entries."""
    c = a @ b
    g = torch.Generator().manual_seed(1)
    rows = torch.randint(0, a.shape[0], (32,), generator=g)
    cols = torch.randint(0, b.shape[1], (32,), generator=g)
    worst = 0.0
    for i, j in zip(rows.tolist(), cols.tolist()):
        terms = a[i].double() * b[:, j].double()
        worst = max(worst, abs(float(c[i, j]) - float(terms.sum())) / (float(terms.abs().sum()) + 1e-30))
    return worst


def matmul_gflops(n=1024, seconds=0.6):
    """Best of repeated n×n float32 products (best, not mean: the machine is shared)."""
    a, b = torch.randn(n, n), torch.randn(n, n)
    a @ b
    best, start = float("inf"), time.perf_counter()
    reps = 0
    while reps < 3 or time.perf_counter() - start < seconds:
        t0 = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - t0)
        reps += 1
    return 2 * n**3 / best / 1e9, reps


def blas_report():
    config = torch.__config__.show()
    info_key = "BLAS_INFO="
    torch_blas = config[config.index(info_key) + len(info_key):].split(",")[0] if info_key in config else None
    path = sgemm_provider()
    library = library_of(path) if path else "unknown"
    # A wheel's MKL is linked into libtorch itself.
    if library == "unknown" and torch_blas == "mkl":
        library = "mkl"
    report = {"library": library, "path": path, "torch_blas_info": torch_blas}
    if library == "openblas":
        report.update(openblas_info(path))
    multiarch = sysconfig.get_config_var("MULTIARCH")
    alternative = f"/etc/alternatives/libblas.so.3-{multiarch}"
    report["system_libblas"] = os.path.realpath(alternative) if multiarch and os.path.exists(alternative) else None
    gflops, reps = matmul_gflops()
    gen = torch.Generator().manual_seed(0)
    square = max_rel_error(torch.randn(1024, 1024, generator=gen), torch.randn(1024, 1024, generator=gen))
    vector = max_rel_error(torch.randn(1, 512, generator=gen), torch.randn(512, 2048, generator=gen))
    report.update({
        "gflops_matmul_1024": round(gflops, 1),
        "matmul_reps": reps,
        "torch_threads": torch.get_num_threads(),
        "max_rel_err": float(f"{max(square, vector):.2e}"),
        "correct": max(square, vector) < 1e-4,
        "env": {k: os.environ.get(k) for k in ENV_KEYS},
    })
    return report


if __name__ == "__main__":
    torch.set_num_threads(int(sys.argv[1]) if len(sys.argv) > 1 else 1)
    print(json.dumps(blas_report()), flush=True)
