#!/usr/bin/env bash
# Multi-GPU torchrun check for a session with a CUDA machine (~3 min on 1-8 GPUs).
#
#   OUT=/path/to/out bash benchmarks/gpu_torchrun.sh
#
# Needs a CUDA build of torch and mmbench's dependencies (no network). Runs the same
# evaluation with 1 process on cuda:0 and with `torchrun --nproc-per-node NGPU --device cuda`
# (rank r on cuda:r; NCCL + gloo), checks that scores and predictions are identical, and
# writes the speed-up. On a machine with one GPU it runs 2 ranks sharing cuda:0 instead
# (`--device cuda:0`), which checks the NCCL/gloo start-up and gathering, not a speed-up.
# Writes into $OUT (default: gpu-torchrun-out/):
#   env.txt, nvidia-smi.txt        what it ran on
#   one/, many/                    the two runs' --out folders (results + predictions)
#   *.log                          their output
#   summary.md                     world size, wall s, samples/s, per-rank devices, identical?
# MODEL, TASK, LIMIT, BATCH override the defaults below.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
OUT=${OUT:-gpu-torchrun-out}
MODEL=${MODEL:-ref-gated}
TASK=${TASK:-easyvqa}
LIMIT=${LIMIT:-8000}
BATCH=${BATCH:-128}
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-4}
mkdir -p "$OUT"

NGPU=$("$PY" - <<'PY' | tee "$OUT/env.txt" | tail -1
import torch
assert torch.cuda.is_available(), f"torch {torch.__version__}: CUDA not available"
print("torch", torch.__version__, "cuda", torch.version.cuda, "nccl", torch.cuda.nccl.version())
print(torch.cuda.device_count())
PY
)
nvidia-smi > "$OUT/nvidia-smi.txt" 2>&1 || echo "nvidia-smi not found" > "$OUT/nvidia-smi.txt"
if [ "$NGPU" -ge 2 ]; then NPROC=$NGPU; DEVICE=cuda; else NPROC=2; DEVICE=cuda:0; fi
ARGS=(--model "$MODEL" --task "$TASK" --limit "$LIMIT" --batch-size "$BATCH" --no-progress --bootstrap 200)

t0=$(date +%s.%N)
timeout 300 "$PY" -m mmbench run "${ARGS[@]}" --device cuda:0 --out "$OUT/one" > "$OUT/one.log" 2>&1
t1=$(date +%s.%N)
timeout 300 "$PY" -m torch.distributed.run --standalone --nproc-per-node "$NPROC" -m mmbench run \
  "${ARGS[@]}" --device "$DEVICE" --out "$OUT/many" > "$OUT/many.log" 2>&1
t2=$(date +%s.%N)

"$PY" - "$OUT" "$t0" "$t1" "$t2" <<'PY' | tee "$OUT/summary.md"
import json, pathlib, sys
out, (t0, t1, t2) = pathlib.Path(sys.argv[1]), map(float, sys.argv[2:5])
one_s, many_s = t1 - t0, t2 - t1
def load(run):
    (path,) = (out / run / "results").glob("*.json")
    rec = json.loads(path.read_text())
    preds = {}
    for f in (out / run / "predictions").rglob("*.jsonl"):
        for line in f.read_text().splitlines()[1:]:
            r = json.loads(line)
            preds[r["id"]] = r.get("prediction")
    return rec, preds
(one, p1), (many, p2) = load("one"), load("many")
same = one["scores"] == many["scores"] and p1 == p2
print("| run | world size | wall s | samples/s | devices |")
print("|---|---:|---:|---:|---|")
for name, rec, wall in (("1 process", one, one_s), ("torchrun", many, many_s)):
    devs = [r["device"] for r in rec["profile"]["hardware"].get("ranks", [])] or [rec["profile"]["device"]]
    print(f"| {name} | {rec['distributed']['world_size']} | {wall:.1f} | "
          f"{rec['profile']['samples_per_s']:,.1f} | {', '.join(devs)} |")
print(f"\nscores and predictions identical: {same}; backend {many['distributed']['backend']}; "
      f"{many['profile']['hardware'].get('gpu_used')}; speed-up (wall) {one_s / many_s:.2f}x")
sys.exit(0 if same else 1)
PY
