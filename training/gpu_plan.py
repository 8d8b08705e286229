"""Timed training plans for a lent GPU (Keras on JAX): FER+ teachers, the shipped model, the seed models.

    KERAS_BACKEND=jax python -m training.gpu_plan --plan ship --data .data/fer2013.tar.xz --out $OUT/runs --budget 540
    KERAS_BACKEND=jax python -m training.gpu_plan --plan teachers --data .data/fer2013.tar.xz \
        --ferplus .data/ferplus_votes.csv --out /tmp/runs --budget 390 --processes 14   (training/gpu_teachers.sh)

"teachers" is one cohort (training/cohort.py): three FER+ teachers from scratch and four students
distilled from them online, all on the same augmented batches, every member's probabilities for every
face written in the format of ../shared/data/ferplus_teachers.npz.

Every model gets a share of the wall-time budget; a failure in one is logged and the plan goes on.
``--max-steps N`` makes a smoke run of a few batches (test it on the CPU before a GPU loan).
Artifacts land in OUT/<model>/ (the .tflite export happens later on a machine with TensorFlow).
"""

from __future__ import annotations

import argparse
import json
import time
import traceback
from pathlib import Path

# (model, seconds of budget or None for the recipe's own epochs, extra kwargs). Every entry is also
# capped by what is left of --budget. Two plans run side by side on one GPU (gpu_run.sh):
#   ship:  the shipped student emo-fast, distilled online from the emo-vgg teacher trained with it
#          (measured on an H200 before: emo-fast alone 1.8 s an epoch with host augmentation)
#   seeds: the seed reports' models at their reported epochs, the long ones first
PLANS = {
    "ship": [
        ("emo-fast", None, {"precision": "mixed_bfloat16", "epochs": 1000, "workers": 10,
                            "online_teacher": "emo-vgg"}),
    ],
    "teachers": [],  # a cohort: training/cohort.py's PLANS["teachers"]
    "seeds": [
        ("vyas-m1", None, {}),
        ("teuchert-cnn", None, {}),
        ("vyas-m2", None, {}),
        ("vyas-img-b", None, {}),
        ("ashutosh", None, {}),
        ("stanley", 25, {}),
        ("vyas-img-a", 25, {}),
        ("teuchert-mnv2", 30, {}),
        ("tamrakar", 40, {"fine_tune_epochs": 2}),
    ],
}


def main() -> int:
    import keras

    from . import data
    from .train import train

    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--budget", type=float, default=540)
    ap.add_argument("--plan", choices=sorted(PLANS), default="ship")
    ap.add_argument("--only", help="comma list of models")
    ap.add_argument("--max-steps", type=int)
    ap.add_argument("--ferplus", help="ferplus_votes.csv (plan teachers)")
    ap.add_argument("--epochs", type=int, default=150, help="plan teachers: epochs, fewer if the budget is short")
    ap.add_argument("--processes", type=int, default=14, help="plan teachers: augmentation processes")
    args = ap.parse_args()
    t0 = time.monotonic()
    ds = data.load(args.data)
    print(f"data loaded in {time.monotonic() - t0:.1f} s", flush=True)
    if args.plan == "teachers":
        from .cohort import PLANS as COHORTS
        from .cohort import train_cohort

        if not args.ferplus:
            ap.error("plan teachers needs --ferplus")
        left = args.budget - (time.monotonic() - t0)
        train_cohort(COHORTS["teachers"], args.data, args.ferplus, str(Path(args.out) / "teachers"),
                     epochs=args.epochs, time_budget=left, processes=args.processes,
                     precision="mixed_bfloat16" if keras.backend.backend() == "jax" else "float32",
                     max_steps=args.max_steps, dataset=ds)
        return 0
    summary = {}
    for name, seconds, kw in PLANS[args.plan]:
        if args.only and name not in args.only.split(","):
            continue
        left = args.budget - (time.monotonic() - t0)
        if left < 25:
            summary[name] = "skipped: out of time"
            continue
        keras.mixed_precision.set_global_policy("float32")
        budget = min(seconds or left, left - 15)
        kw = {k: v.format(out=args.out) if isinstance(v, str) else v for k, v in kw.items()}
        try:
            m = train(name, args.data, str(Path(args.out) / name), dataset=ds, time_budget=budget,
                      verbose=2, max_steps=args.max_steps, **kw)
            summary[name] = {k: m.get(k) for k in ("privatetest_accuracy", "privatetest_accuracy_flip_tta",
                                                   "publictest_accuracy", "epochs_trained", "wall_seconds",
                                                   "teacher_metrics")}
        except Exception as exc:  # keep going: one model's failure must not cost the others
            traceback.print_exc()
            summary[name] = f"failed: {exc!r}"
        print(f"== {name}: {summary[name]}  ({time.monotonic() - t0:.0f} s so far)", flush=True)
    (Path(args.out) / f"summary-{args.plan}.json").write_text(json.dumps(summary, indent=1))
    print(json.dumps(summary, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
