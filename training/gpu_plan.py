"""One timed run on a lent GPU (Keras on JAX): the shipped model first, then the seed models.

    KERAS_BACKEND=jax python -m training.gpu_plan --data .data/fer2013.tar.xz --out $OUT/runs --budget 540

Every model gets a share of the wall-time budget; a failure in one is logged and the plan goes on.
Artifacts land in OUT/<model>/ (the .tflite export happens later on a machine with TensorFlow).
"""

from __future__ import annotations

import argparse
import json
import time
import traceback
from pathlib import Path

# (model, seconds of budget or None for the recipe's own epochs, extra kwargs)
# Measured on an H200 (Keras 3.15 on JAX, bf16, host augmentation with 6 workers): emo-fast 1.8 s an
# epoch (8 ms a step of 128). Teacher first, then the student distilled from it, then the seeds.
PLAN = [
    ("emo-vgg", 270, {"precision": "mixed_bfloat16", "epochs": 400, "workers": 6}),
    ("emo-fast", 200, {"precision": "mixed_bfloat16", "epochs": 400, "workers": 6,
                       "teacher": "{out}/emo-vgg/best.keras"}),
    ("vyas-m2", None, {}),
    ("vyas-m1", None, {}),
    ("teuchert-cnn", 40, {}),
    ("vyas-img-b", None, {}),
    ("ashutosh", None, {}),
    ("stanley", 20, {}),
    ("vyas-img-a", 20, {}),
    ("teuchert-mnv2", 40, {}),
    ("tamrakar", 45, {"fine_tune_epochs": 2}),
]


def main() -> int:
    import keras

    from . import data
    from .train import train

    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--budget", type=float, default=540)
    ap.add_argument("--only", help="comma list of models")
    ap.add_argument("--max-steps", type=int)
    args = ap.parse_args()
    t0 = time.monotonic()
    ds = data.load(args.data)
    print(f"data loaded in {time.monotonic() - t0:.1f} s", flush=True)
    summary = {}
    for name, seconds, kw in PLAN:
        if args.only and name not in args.only.split(","):
            continue
        left = args.budget - (time.monotonic() - t0)
        if left < 25:
            summary[name] = "skipped: out of time"
            continue
        keras.mixed_precision.set_global_policy("float32")
        budget = min(seconds, left - 15) if seconds else None
        kw = {k: v.format(out=args.out) if isinstance(v, str) else v for k, v in kw.items()}
        try:
            m = train(name, args.data, str(Path(args.out) / name), dataset=ds, time_budget=budget,
                      verbose=2, max_steps=args.max_steps, **kw)
            summary[name] = {k: m[k] for k in ("privatetest_accuracy", "privatetest_accuracy_flip_tta",
                                               "publictest_accuracy", "epochs_trained", "wall_seconds")}
        except Exception as exc:  # keep going: one model's failure must not cost the others
            traceback.print_exc()
            summary[name] = f"failed: {exc!r}"
        print(f"== {name}: {summary[name]}  ({time.monotonic() - t0:.0f} s so far)", flush=True)
    (Path(args.out) / "summary.json").write_text(json.dumps(summary, indent=1))
    print(json.dumps(summary, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
