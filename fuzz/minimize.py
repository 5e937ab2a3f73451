#!/usr/bin/env python3
"""Minimizes fuzzing corpora into a small set for fuzz/corpus (used by `make fuzz-merge`).

    fuzz/minimize.py AFL_BINARY REPLAY_BINARY[,REPLAY_BINARY...] OUT_DIR INPUT_DIR...

Runs afl-showmap with the afl++ build of the harness over every input, then keeps a greedy set
cover of the edges seen (hit counts ignored): first the hand-made seeds (seed-*.bin), then, while
some edge is still uncovered, the input that covers the most new edges (the smaller one on a
tie). An input is kept only if every REPLAY_BINARY (strict replay drivers) passes on it, so the
corpus never fails `make test`. Kept inputs are copied to OUT_DIR as seed-*.bin (unchanged) or
min-<sha1 prefix>.bin."""
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile


def main():
    if len(sys.argv) < 5:
        sys.exit(__doc__)
    afl_bin, replay_bin, out_dir = sys.argv[1:4]
    inputs, seen = [], set()
    for d in sys.argv[4:]:
        for name in sorted(os.listdir(d)):
            path = os.path.join(d, name)
            if not os.path.isfile(path) or name.startswith(".") or name == "README.txt":
                continue
            data = open(path, "rb").read()
            digest = hashlib.sha1(data).hexdigest()
            if digest in seen or len(data) > 4096:
                continue
            seen.add(digest)
            inputs.append((name, path, data, digest))
    print("minimize: %d distinct inputs" % len(inputs))
    tmp = tempfile.mkdtemp(prefix="fuzz-min-")
    try:
        src, maps = os.path.join(tmp, "in"), os.path.join(tmp, "maps")
        os.makedirs(src)
        for i, (_, _, data, _) in enumerate(inputs):
            with open(os.path.join(src, "%06d" % i), "wb") as f:
                f.write(data)
        env = dict(os.environ, AFL_QUIET="1", AFL_NO_UI="1")
        subprocess.run(["afl-showmap", "-q", "-m", "none", "-t", "10000", "-i", src, "-o", maps,
                        "--", afl_bin], env=env, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        edges = []
        for i in range(len(inputs)):
            path = os.path.join(maps, "%06d" % i)
            s = set()
            if os.path.exists(path):
                for line in open(path):
                    s.add(line.split(":")[0])
            edges.append(s)
    finally:
        shutil.rmtree(tmp)

    def passes(path):
        for b in replay_bin.split(","):
            r = subprocess.run([b, path], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            if r.returncode != 0:
                return False
        return True

    covered, keep = set(), []
    for i, (name, path, _, _) in enumerate(inputs):
        if name.startswith("seed-") and passes(path):
            keep.append(i)
            covered |= edges[i]
    left = [i for i in range(len(inputs)) if i not in keep and edges[i]]
    rejected = 0
    while True:
        best, gain = None, 0
        for i in left:
            g = len(edges[i] - covered)
            if g > gain or (g == gain and g and len(inputs[i][2]) < len(inputs[best][2])):
                best, gain = i, g
        if best is None or gain == 0:
            break
        left.remove(best)
        if not passes(inputs[best][1]):
            rejected += 1
            continue
        keep.append(best)
        covered |= edges[best]
    os.makedirs(out_dir, exist_ok=True)
    total = 0
    for i in keep:
        name, _, data, digest = inputs[i]
        out = name if name.startswith("seed-") else "min-%s.bin" % digest[:12]
        with open(os.path.join(out_dir, out), "wb") as f:
            f.write(data)
        total += len(data)
    all_edges = set().union(*edges) if edges else set()
    print("minimize: kept %d inputs (%d bytes) covering %d of %d edges; %d rejected by the "
          "strict replay" % (len(keep), total, len(covered), len(all_edges), rejected))


if __name__ == "__main__":
    main()
