"""Independent PyTorch training of the same decoder on the same tensors, for the issue's check
"lenscribe train lands within 3 % of the PyTorch validation loss for the same config and data".

Input: the folder `lenscribe train … --export-data <dir>` writes (features, caption ids cut to
max-words, image index, meta.json with the options). The model mirrors src/model/decoder.ts:
features standardised with the training images' per-dimension mean/std (population std), h0 =
tanh(f·W_proj + b_proj) for every layer, c0 = 0; embedding -> dropout -> LSTM (dropout between
layers) -> dropout -> vocabulary scores; cross-entropy per real target token (padding ignored);
forget-gate bias 1; Adam, gradient clipping by global norm. Prints one JSON line per epoch with
the validation loss (evaluation mode, mean per target token), then a summary line with the best.

usage: /usr/bin/python3 tools/pytorch-parity.py <export dir> [epochs]
(Debian's python3-torch lives in /usr/bin/python3.) The losses do not depend on the BLAS, the time
does: Debian's torch uses whatever libblas.so.3 the linker finds, ~40x slower on the reference BLAS
than on OpenBLAS. The summary line's "blas" says which one ran (bench/blas_probe.py); to pick
OpenBLAS for this process alone, prefix LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-pthread
(and the OPENBLAS_CORETYPE the benches' "kernel_choice" chose on this machine).
"""
import json, os, sys, time
import numpy as np
import torch
import torch.nn as nn

sys.dont_write_bytecode = True  # no bench/__pycache__ in the work tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bench"))
from blas_probe import blas_report

d = sys.argv[1]
meta = json.load(open(f"{d}/meta.json"))
o = meta["options"]
epochs = int(sys.argv[2]) if len(sys.argv) > 2 else int(o["epochs"])
D, T, V = meta["D"], meta["T"], meta["V"]
W, H, L = int(o["embed"]), int(o["hidden"]), int(o["layers"])
torch.manual_seed(int(o["seed"]))
torch.set_num_threads(2)
blas = blas_report()
if blas["library"] == "reference":
    print(f"pytorch-parity: torch runs on the reference BLAS ({blas['gflops_matmul_1024']} GFLOP/s): this will be slow", file=sys.stderr)


def load(split):
    n_img, n_cap = meta[split]["images"], meta[split]["captions"]
    f = np.fromfile(f"{d}/{split}_features.f32", dtype=np.float32).reshape(n_img, D)
    c = np.fromfile(f"{d}/{split}_captions.i32", dtype=np.int32).reshape(n_cap, T)
    i = np.fromfile(f"{d}/{split}_image.i32", dtype=np.int32)
    return torch.from_numpy(f), torch.from_numpy(c.astype(np.int64)), torch.from_numpy(i.astype(np.int64))


tf, tc, ti = load("train")
vf, vc, vi = load("val")
used = torch.unique(ti)
mean = tf[used].double().mean(0)
std = tf[used].double().std(0, unbiased=False)
floor = max(1e-3 * float(std.mean()), 1e-8)
std = torch.clamp(std, min=floor)


class Decoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("mean", mean.float())
        self.register_buffer("std", std.float())
        self.proj = nn.Linear(D, L * H)
        self.embed = nn.Embedding(V, W)
        self.lstm = nn.LSTM(W, H, num_layers=L, batch_first=True, dropout=float(o["dropout"]) if L > 1 else 0.0)
        self.drop = nn.Dropout(float(o["dropout"]))
        self.vocab = nn.Linear(H, V)
        with torch.no_grad():  # forget gate (PyTorch order i, f, g, o) starts at 1
            for k in range(L):
                getattr(self.lstm, f"bias_ih_l{k}")[H:2 * H] = 1.0
                getattr(self.lstm, f"bias_hh_l{k}")[H:2 * H] = 0.0

    def forward(self, f, x):
        h0 = torch.tanh(self.proj((f - self.mean) / self.std)).view(-1, L, H).transpose(0, 1).contiguous()
        out, _ = self.lstm(self.drop(self.embed(x)), (h0, torch.zeros_like(h0)))
        return self.vocab(self.drop(out))


model = Decoder()
opt = torch.optim.Adam(model.parameters(), lr=float(o["lr"]))
ce = nn.CrossEntropyLoss(ignore_index=meta["pad"], reduction="sum")


def batch_loss(feats, caps, idx):
    c = caps[idx]
    longest = int((c != meta["pad"]).sum(1).max())
    c = c[:, :longest]
    scores = model(feats, c[:, :-1])
    tgt = c[:, 1:]
    return ce(scores.reshape(-1, V), tgt.reshape(-1)), int((tgt != meta["pad"]).sum())


def val_loss():
    model.eval()
    total, tokens = 0.0, 0
    with torch.no_grad():
        for b in range(0, len(vc), 512):
            idx = torch.arange(b, min(b + 512, len(vc)))
            l, t = batch_loss(vf[vi[idx]], vc, idx)
            total += float(l)
            tokens += t
    model.train()
    return total / tokens


B = int(o["batch"])
best = None
for epoch in range(epochs):
    t0 = time.time()
    perm = torch.randperm(len(tc))
    tr_total, tr_tokens = 0.0, 0
    for b in range(0, len(perm), B):
        idx = perm[b:b + B]
        opt.zero_grad(set_to_none=True)
        l, t = batch_loss(tf[ti[idx]], tc, idx)
        (l / t).backward()
        nn.utils.clip_grad_norm_(model.parameters(), float(o["clip"]))
        opt.step()
        tr_total += float(l)
        tr_tokens += t
    v = val_loss()
    best = v if best is None or v < best else best
    print(json.dumps({"epoch": epoch + 1, "train_loss": tr_total / tr_tokens, "val_loss": v, "seconds": round(time.time() - t0, 1)}), flush=True)
print(json.dumps({"peer": "pytorch", "torch": torch.__version__, "epochs": epochs, "best_val_loss": best, "blas": blas}), flush=True)
