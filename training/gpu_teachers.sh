#!/usr/bin/env bash
# One GPU run (Keras 3 on JAX) of the "teachers" plan: three FER+ teachers from scratch and four students
# distilled from them online, one cohort on the same augmented batches (training/cohort.py), augmented
# by 14 processes. Prepare here first:  bash ../shared/hooks/prepare-gpu-carry.sh  (fills .whl/ and .data/),
# then run this with .whl and .data carried and a timeout of BUDGET + 170 s. Back in $OUT: the log,
# every member's probabilities for every face (probabilities.npz, the shared teachers' format), the
# summary, the per-epoch validation log, and the four students (.keras).
set -u
BUDGET=${BUDGET:-390}
source "$(dirname "$0")/gpu_env.sh"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader; nproc
python3 -c "import jax, keras; print('jax', jax.__version__, jax.devices(), 'keras', keras.__version__)"
timeout $((BUDGET + 120)) python3 -m training.gpu_plan --plan teachers --data .data/fer2013.tar.xz \
  --ferplus .data/ferplus_votes.csv --out /tmp/runs --budget "$BUDGET" --processes "${PROCESSES:-14}" \
  > "$OUT/log_teachers.txt" 2>&1
echo "exit $?"
grep -E '^(==|time budget|cohort|data)' "$OUT/log_teachers.txt"
tail -n 5 "$OUT/log_teachers.txt"
cd /tmp/runs/teachers && cp probabilities.npz summary.json epochs.jsonl *.keras "$OUT/"
ls -la "$OUT"
