#!/usr/bin/env bash
# A short second GPU run (Keras 3 on JAX), artifacts to $OUT: emo-fast fine-tuned from its best weights
# on a teacher's stored, flip-averaged soft targets, and vyas-m1 again with other seeds (seed 0 collapsed
# to the majority class). Carry .whl and .data; .data must hold fer2013.tar.xz, soft.npy and
# emo_fast_best.keras:
#   python -m training soft-targets --teacher teacher.tflite --data fer2013.tar.xz --spec emo-fast --out .data/soft.npy --flip
set -u
BUDGET=${BUDGET:-150}
source "$(dirname "$0")/gpu_env.sh"
( for seed in 1 2; do
    python3 -m training train --model vyas-m1 --data .data/fer2013.tar.xz --out /tmp/runs/vyas-m1-seed$seed \
      --seed $seed --no-export --verbose 2 --time-budget "$BUDGET"
  done ) > "$OUT/log_vyas_m1.txt" 2>&1 &
timeout $((BUDGET + 60)) python3 -m training train --model emo-fast --data .data/fer2013.tar.xz \
  --out /tmp/runs/emo-fast-ft --soft-targets .data/soft.npy --init .data/emo_fast_best.keras --lr 0.01 \
  --epochs 1000 --time-budget "$BUDGET" --precision mixed_bfloat16 --workers 10 --no-export --verbose 2 \
  > "$OUT/log_emo_fast_ft.txt" 2>&1
wait
grep -h -E '^\{' "$OUT"/log_*.txt
cd /tmp/runs && tar czf "$OUT/runs2.tgz" --exclude='*.keras' . && cp emo-fast-ft/best.keras "$OUT/emo_fast_ft_best.keras"
ls -la "$OUT"
