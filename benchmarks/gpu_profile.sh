#!/usr/bin/env bash
# One-shot GPU profile for a session that has a CUDA machine (written for one H200).
#
#   OUT=/path/to/out bash benchmarks/gpu_profile.sh        # ~5 min on an H200
#
# Needs an environment with a CUDA build of torch and mmbench's dependencies (no network:
# nothing is downloaded). Writes into $OUT (default: gpu-out/):
#   env.txt, nvidia-smi.txt                 what it ran on
#   profile/*.json, profile/*.png           `mmbench profile` sweeps: fp32 vs bf16, batch 1/8/32/128
#   results/*.json                          one full `mmbench run` on CUDA (profile in the results JSON)
#   bench_a_cuda.txt                        (a) Profiler vs torch.utils.benchmark.Timer on CUDA
#   summary.md                              the sweeps as a Markdown table for benchmarks/RESULTS.md
# MODELS (space-separated --model specs) overrides the models profiled.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
OUT=${OUT:-gpu-out}
MODELS=${MODELS:-benchmarks.reference_cnn_gru:make_model}
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
mkdir -p "$OUT"

"$PY" - <<'PY' | tee "$OUT/env.txt"
import torch
assert torch.cuda.is_available(), f"torch {torch.__version__}: CUDA not available"
print("torch", torch.__version__, "cuda", torch.version.cuda, "gpu", torch.cuda.get_device_name(0))
PY
nvidia-smi > "$OUT/nvidia-smi.txt" 2>&1 || echo "nvidia-smi not found" > "$OUT/nvidia-smi.txt"

for model in $MODELS; do
  for dtype in fp32 bf16; do
    timeout 240 "$PY" -m mmbench profile --model "$model" --task easyvqa --device cuda \
      --batch-sizes 1,8,32,128 --dtype "$dtype" --limit 1024 --warmup 10 --out "$OUT" \
      2>&1 | tee -a "$OUT/profile.log" || echo "profile $model $dtype failed: $?" | tee -a "$OUT/profile.log"
  done
  timeout 240 "$PY" -m mmbench run --model "$model" --task easyvqa --device cuda --batch-size 128 \
    --out "$OUT" --no-progress 2>&1 | tee -a "$OUT/run.log" || echo "run $model failed" | tee -a "$OUT/run.log"
done

timeout 180 "$PY" benchmarks/bench_profiler_vs_timer.py --device cuda --threads 4 --rounds 3 \
  > "$OUT/bench_a_cuda.txt" 2>&1 || echo "bench (a) failed" >> "$OUT/bench_a_cuda.txt"

"$PY" - "$OUT" <<'PY' > "$OUT/summary.md"
import json, pathlib, sys
out = pathlib.Path(sys.argv[1])
print("| model | dtype | batch | samples/s | p50 ms | p90 ms | p99 ms | peak CUDA alloc MiB | peak reserved MiB | GFLOPs/sample |")
print("|---|---|---|---|---|---|---|---|---|---|")
for path in sorted((out / "profile").glob("*.json")):
    rec = json.loads(path.read_text())
    for p in rec["points"]:
        lat, mem, fl = p["latency_s"] or {}, p["memory"] or {}, p["flops"]
        mib = lambda b: f"{b / 2**20:,.0f}" if b else "-"
        gf = f"{fl['per_sample'] / 1e9:.3f}" if fl["per_sample"] else "-"
        print(f"| {rec['model']['name']} | {rec['dtype']} ({rec['dtype_mode']}) | {p['batch_size']} "
              f"| {p['samples_per_s']:,.1f} | {lat['p50']*1e3:.2f} | {lat['p90']*1e3:.2f} | {lat['p99']*1e3:.2f} "
              f"| {mib(mem.get('cuda_max_allocated_bytes'))} | {mib(mem.get('cuda_max_reserved_bytes'))} | {gf} |")
hw = rec["hardware"]
print(f"\n{hw.get('gpu_used')} · driver {hw.get('driver')} · CUDA {hw.get('cuda')} · torch {hw.get('torch')} · {hw.get('cpu_model')}")
PY
cat "$OUT/summary.md"
