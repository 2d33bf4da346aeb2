"""PyTorch inference peer for `adaptool eval`: the reference MLP 3072-128-256-10 (and the seed's
DoRA r4 on every layer, unmerged) over the CIFAR-10 test split at batch 500, float32, no autograd.
The images are normalised before timing (as the peer's training loads them); prints one JSON line.
Usage: python peer_eval.py DIR [--threads 2] [--repeats 5]
"""
import argparse, json, os, sys, time
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "peers"))
import torch
from seed_reference import MLP, LinearDoRA, load  # the same modules the training peer times

def images_per_second(model, x, batch, repeats):
    best = float("inf")
    with torch.no_grad():
        for i in range(0, len(x), batch): model(x[i:i + batch])  # warm-up pass (thread pool, caches)
        for _ in range(repeats):
            start = time.perf_counter()
            for i in range(0, len(x), batch):
                model(x[i:i + batch]).argmax(1)
            best = min(best, time.perf_counter() - start)
    return len(x) / best

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir"); ap.add_argument("--threads", type=int, default=2); ap.add_argument("--repeats", type=int, default=5)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(123)
    x, _ = load(a.dir, ["test_batch.bin"])
    base = MLP().eval()
    dora = MLP().eval()
    for i in (0, 2, 4): dora.layers[i] = LinearDoRA(dora.layers[i], 4, 8)
    print(json.dumps({"base": round(images_per_second(base, x, 500, a.repeats)),
                      "dora_unmerged": round(images_per_second(dora, x, 500, a.repeats))}), flush=True)

if __name__ == "__main__":
    main()
