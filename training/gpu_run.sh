#!/usr/bin/env bash
# One run on a lent GPU machine (Keras 3 on JAX), artifacts to $OUT.
# Prepare on the CPU machine first:  bash ../shared/hooks/prepare-gpu-carry.sh   (fills .whl/ and .data/)
# then run this with .whl and .data carried. BUDGET (seconds) bounds the whole plan; give the device
# call a timeout of at least BUDGET + 80 s so the packaging at the end runs.
set -u
BUDGET=${BUDGET:-520}
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl || exit 1
export PYTHONPATH=/tmp/site:${PYTHONPATH:-} KERAS_BACKEND=jax PYTHONUNBUFFERED=1 EMOTION_MONITOR_CACHE=/tmp/cache TF_CPP_MIN_LOG_LEVEL=3
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
python3 -c "import jax, keras; print('jax', jax.__version__, jax.devices(), 'keras', keras.__version__)"
timeout $((BUDGET + 50)) python3 -m training.gpu_plan --data .data/fer2013.tar.xz --out /tmp/runs --budget "$BUDGET" 2>&1 \
  | grep --line-buffered -v -E '^(W|I)0000' | tee "$OUT/gpu_log.txt" | grep --line-buffered -E '^(==|time budget|data|jax|\{)'
cd /tmp/runs || exit 1
tar czf "$OUT/runs.tgz" --exclude='*.keras' .
[ -f emo-fast/best.keras ] && cp emo-fast/best.keras "$OUT/emo_fast_best.keras"
[ -f emo-vgg/best.keras ] && split -b 15m emo-vgg/best.keras "$OUT/emo_vgg_best.keras.part-"
ls -la "$OUT"
