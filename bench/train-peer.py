"""PyTorch CPU peer for bench/train.ts: the same decoder, batch, loss, clipping and optimizer.

Reads the synthetic batch the TypeScript side wrote (features N×D float32, captions N×T int32),
warms up, prints {"ready": …}, then for every line k on stdin trains k iterations and prints
{"seconds": …}, so the two sides can take turns in rounds (fair on a shared, busy machine).
The ready line carries "blas": which BLAS this process's matmul runs on and how fast (blas_probe.py).
usage: train-peer.py <batch.bin> N D T V W H warmup
"""
import json, resource, sys, time
import numpy as np
import torch
import torch.nn as nn
from blas_probe import blas_report

path = sys.argv[1]
N, D, T, V, W, H, warmup = (int(x) for x in sys.argv[2:9])
torch.set_num_threads(2)
torch.manual_seed(0)
raw = np.fromfile(path, dtype=np.uint8)
feats = torch.from_numpy(raw[: N * D * 4].view(np.float32).reshape(N, D).copy())
caps = torch.from_numpy(raw[N * D * 4 :].view(np.int32).reshape(N, T).astype(np.int64))


class Decoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.proj = nn.Linear(D, H)
        self.embed = nn.Embedding(V, W)
        self.lstm = nn.LSTM(W, H, num_layers=1, batch_first=True)
        self.vocab = nn.Linear(H, V)

    def forward(self, f, x):
        h0 = torch.tanh(self.proj(f)).unsqueeze(0)
        out, _ = self.lstm(self.embed(x), (h0, torch.zeros_like(h0)))
        return self.vocab(out)


model = Decoder()
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
loss_fn = nn.CrossEntropyLoss(ignore_index=0)
inputs, targets = caps[:, :-1], caps[:, 1:]
tokens = int((targets != 0).sum())


def step():
    opt.zero_grad(set_to_none=True)
    scores = model(feats, inputs)
    loss = loss_fn(scores.reshape(-1, V), targets.reshape(-1))
    loss.backward()
    nn.utils.clip_grad_norm_(model.parameters(), 5.0)
    opt.step()
    return float(loss)


blas = blas_report()
for _ in range(warmup):
    step()
print(json.dumps({"ready": True, "tokens": tokens, "threads": torch.get_num_threads(), "torch": torch.__version__, "blas": blas}), flush=True)
for line in sys.stdin:
    k = int(line)
    t0 = time.perf_counter()
    for _ in range(k):
        loss = step()
    dt = time.perf_counter() - t0
    print(json.dumps({
        "seconds": dt,
        "loss": loss,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }), flush=True)
