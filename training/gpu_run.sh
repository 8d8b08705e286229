#!/usr/bin/env bash
# One run on a lent GPU machine (Keras 3 on JAX), artifacts to $OUT.
# Prepare on the CPU machine first:  bash ../shared/hooks/prepare-gpu-carry.sh   (fills .whl/ and .data/)
# then run this with .whl and .data carried. Two plans share the GPU side by side (training.gpu_plan):
# "ship" (emo-fast distilled online from emo-vgg) and "seeds" (the reports' models). BUDGET (seconds)
# bounds each; give the device call a timeout of at least BUDGET + 90 s so the packaging at the end runs.
set -u
BUDGET=${BUDGET:-500}
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl || exit 1
export PYTHONPATH=/tmp/site:${PYTHONPATH:-} KERAS_BACKEND=jax PYTHONUNBUFFERED=1 EMOTION_MONITOR_CACHE=/tmp/cache TF_CPP_MIN_LOG_LEVEL=3
# two processes on one GPU: no preallocation of 75% each
export XLA_PYTHON_CLIENT_PREALLOCATE=false
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT" /tmp/runs
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
t0=$(date +%s)
python3 -c "import jax, keras; print('jax', jax.__version__, jax.devices(), 'keras', keras.__version__)
from training import data; data.load('.data/fer2013.tar.xz')"  # fills the decoded-array cache once
left=$((BUDGET - ($(date +%s) - t0)))
run_plan() {  # plan, budget
  timeout $(($2 + 60)) python3 -m training.gpu_plan --plan "$1" --data .data/fer2013.tar.xz --out /tmp/runs \
    --budget "$2" > "$OUT/gpu_log_$1.txt" 2>&1
}
run_plan seeds "$left" &
run_plan ship "$left" &
while [ -n "$(jobs -r)" ]; do sleep 30; grep -h -E '^(==|time budget)' "$OUT"/gpu_log_*.txt | tail -n 4; done
wait
grep -h -E '^(==|time budget|data|\{)' "$OUT"/gpu_log_*.txt
cd /tmp/runs || exit 1
tar czf "$OUT/runs.tgz" --exclude='*.keras' .
[ -f emo-fast/best.keras ] && cp emo-fast/best.keras "$OUT/emo_fast_best.keras"
[ -f emo-fast/teacher.keras ] && split -b 15m emo-fast/teacher.keras "$OUT/emo_vgg_teacher.keras.part-"
ls -la "$OUT"
