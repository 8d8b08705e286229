#!/usr/bin/env bash
# One run on a lent GPU machine (Keras 3 on JAX), artifacts to $OUT.
# Prepare on the CPU machine first:  bash ../shared/hooks/prepare-gpu-carry.sh   (fills .whl/ and .data/)
# then run this with .whl and .data carried. Two plans share the GPU side by side (training.gpu_plan):
# "ship" (emo-fast distilled online from emo-vgg) and "seeds" (the reports' models). BUDGET (seconds)
# bounds each; give the device call a timeout of at least BUDGET + 90 s so the packaging at the end runs.
set -u
BUDGET=${BUDGET:-500}
t0=$(date +%s)
source "$(dirname "$0")/gpu_env.sh"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
python3 -c "import jax, keras; print('jax', jax.__version__, jax.devices(), 'keras', keras.__version__)"
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
