# Sourced by the GPU run scripts (gpu_run.sh, gpu_finetune.sh): Keras from the carried wheels in .whl/,
# the JAX backend, the decoded-dataset cache in /tmp, and $OUT for what comes back.
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl || exit 1
export PYTHONPATH=/tmp/site:${PYTHONPATH:-} KERAS_BACKEND=jax PYTHONUNBUFFERED=1 EMOTION_MONITOR_CACHE=/tmp/cache TF_CPP_MIN_LOG_LEVEL=3
# two training processes share one GPU: no preallocation of 75% each
export XLA_PYTHON_CLIENT_PREALLOCATE=false
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT" /tmp/runs
python3 -c "from training import data; data.load('.data/fer2013.tar.xz')"  # fills the cache once
