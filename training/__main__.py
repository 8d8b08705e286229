"""python -m training {models,train,cohort,evaluate,soft-targets,soup,calibrate,export}
(python -m emotion_monitor_training from an installed wheel)"""

from __future__ import annotations

import argparse
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def _models(args) -> int:
    from . import models

    rows = []
    for name, spec in models.REGISTRY.items():
        total, trainable = models.count_params(models.build(name))
        rows.append({"name": name, "params": total, "trainable_params": trainable,
                     "input_shape": list(spec.input_shape), "report": spec.report,
                     "reported_params": spec.reported_params, "task": spec.task.note})
    if args.json:
        print(json.dumps(rows, indent=1))
    else:
        for r in rows:
            print(f"{r['name']:14s} {r['params']:>12,d} params {r['trainable_params']:>12,d} trainable  "
                  f"input {tuple(r['input_shape'])}  {r['task']}")
    return 0


def _train(args) -> int:
    from .train import train

    train(args.model, args.data, args.out, epochs=args.epochs, batch_size=args.batch_size,
          optimizer=args.optimizer, learning_rate=args.lr,
          augment_names=args.augment.split(",") if args.augment is not None and args.augment else
          (() if args.augment == "" else None),
          early_stopping=args.early_stopping, weights=args.weights, seed=args.seed, precision=args.precision,
          time_budget=args.time_budget, resume=not args.no_resume, verbose=args.verbose,
          max_steps=args.max_steps, export=not args.no_export, teacher=args.teacher, kd_alpha=args.kd_alpha,
          kd_temperature=args.kd_temperature, workers=args.workers, fine_tune_epochs=args.fine_tune_epochs,
          online_teacher=args.online_teacher, soft_targets=args.soft_targets, init=args.init,
          ferplus=args.ferplus, fer2013_weight=args.fer2013_weight,
          teachers=args.teachers.split(",") if args.teachers else None, processes=args.processes,
          class_weight=_class_weight(args.class_weight), balance=args.balance)
    return 0


def _class_weight(text: str | None) -> tuple[float, ...] | None:
    """``--class-weight``: 'unhappy' (the cohort's weights for angry, disgust, fear, sad) or 7 numbers."""
    if not text:
        return None
    if text == "unhappy":
        from .cohort import UNHAPPY_WEIGHTS

        return UNHAPPY_WEIGHTS
    try:
        weights = tuple(float(w) for w in text.split(","))
    except ValueError:
        raise SystemExit(f"--class-weight: 'unhappy' or 7 numbers separated by commas, not {text!r}") from None
    if len(weights) != 7:
        raise SystemExit(f"--class-weight: 7 numbers (angry,disgust,fear,happy,neutral,sad,surprise), got {len(weights)}")
    return weights


def _evaluate(args) -> int:
    from .evaluate import evaluate

    rep = evaluate(args.model, args.data, args.split, tta_flip=args.tta_flip, spec_name=args.spec,
                   ferplus=args.ferplus)
    if args.json:
        print(json.dumps(rep, indent=1))
    else:
        print(f"{rep['model']} on {rep['split']}, {rep['labels']} labels (n={rep['n']}): accuracy {rep['accuracy']:.4f}, "
              f"macro-F1 {rep['macro_f1']:.4f}")
        for name, m in rep["per_class"].items():
            print(f"  {name:10s} precision {m['precision']:.3f} recall {m['recall']:.3f} f1 {m['f1']:.3f} "
                  f"n={m['support']}")
    return 0


def _soft_targets(args) -> int:
    import numpy as np

    from . import data, evaluate, models
    from .preprocess import prepare, task_split

    spec = models.get(args.spec)
    x, _ = task_split(data.load(args.data), spec, "Training")
    views = [x, x[:, :, ::-1]] if args.flip else [x]
    if args.teacher.endswith(".tflite"):
        probs = [evaluate.predict_tflite(args.teacher, prepare(v, spec), threads=os.cpu_count()) for v in views]
    else:
        import keras

        teacher = keras.saving.load_model(args.teacher)
        probs = [evaluate.predict_keras(teacher, prepare(v, spec)) for v in views]
    soft = np.mean(probs, axis=0).astype(np.float16)
    np.save(args.out, soft)
    print(json.dumps({"out": args.out, "shape": list(soft.shape), "flip": args.flip}))
    return 0


def _soup(args) -> int:
    import keras
    import numpy as np

    from . import data, models, soup
    from .preprocess import prepare, task_split

    # compile=False: only the weights are mixed (a distilled model's custom loss need not load)
    a, b = keras.saving.load_model(args.a, compile=False), keras.saving.load_model(args.b, compile=False)
    spec = models.get(args.spec or a.name.replace("_", "-"))
    template = models.build(spec.name)  # float32, whatever precision the two were trained in
    if args.mix is not None:
        lam, scores = args.mix, []
    else:
        if not args.data:
            raise ValueError("choosing the mixing weight needs --data (it is chosen on PublicTest)")
        ds = data.load(args.data)
        if args.ferplus:  # FER+ majority votes, each face with its mirror image: the headline, as the app reads
            from . import ferplus

            x, y = ferplus.split_majority(ds, args.ferplus, "PublicTest")
        else:
            x, y = task_split(ds, spec, "PublicTest")
        lam, scores = soup.select(a, b, prepare(x, spec), y, np.round(np.arange(0.0, 1.0001, args.step), 4),
                                  template, flip=bool(args.ferplus))
    soup.mix(a, b, lam, template).save(args.out)
    print(json.dumps({"out": args.out, "mix": lam, "publictest_accuracy_by_mix": scores}))
    return 0


def _calibrate(args) -> int:
    """Fit the temperature (and, with --class-bias, a class bias) on PublicTest (FER+ majority) and store
    them in the model's .json; prints a 5-fold cross-validation of both choices on PublicTest."""
    from pathlib import Path

    from . import calibrate, data, ferplus, models
    from .evaluate import file_spec, predict_tflite
    from .preprocess import prepare

    model = Path(args.model)
    meta_path = model.with_suffix(".json")
    meta = json.loads(meta_path.read_text())
    meta.pop("calibration", None)
    spec = file_spec(models.get(meta["model"]), meta)
    ds = data.load(args.data)
    faces, y = ferplus.split_majority(ds, args.ferplus, "PublicTest")
    probs = predict_tflite(model, prepare(faces, spec))
    if args.flip_average:  # calibrate what the app classifies: each face averaged with its mirror image
        probs = (probs + predict_tflite(model, prepare(faces[:, :, ::-1], spec))) / 2
    for bias, cv in (("temperature", calibrate.cross_validate(probs, y, bias=False)),
                     ("temperature + class bias", calibrate.cross_validate(probs, y, bias=True))):
        print(f"5-fold on PublicTest, {bias}: log-loss {cv['nll']:.4f} +- {cv['nll_sd']:.4f}, "
              f"accuracy {cv['accuracy']:.4f}")
    t, b = calibrate.fit(probs, y, bias=args.class_bias)
    after = calibrate.calibrate(probs, t, b)
    meta["calibration"] = {"temperature": round(t, 4), "bias": [round(float(v), 4) for v in b],
                           "chosen_on": "FER+ PublicTest majority votes, log-loss (training/calibrate.py)"
                                        + (", faces averaged with their mirror image" if args.flip_average else ""),
                           "publictest_nll": [round(calibrate.nll(probs, y), 4), round(calibrate.nll(after, y), 4)]}
    meta_path.write_text(json.dumps(meta, indent=1) + "\n")
    print(json.dumps(meta["calibration"]))
    return 0


def _cohort(args) -> int:
    from .cohort import PLANS, train_cohort

    train_cohort(PLANS[args.plan], args.data, args.ferplus, args.out, epochs=args.epochs, time_budget=args.time_budget,
                 processes=args.processes, precision=args.precision, max_steps=args.max_steps)
    return 0


def _export(args) -> int:
    import keras
    import numpy as np

    from . import data, export, models
    from .preprocess import prepare, task_split

    model = keras.saving.load_model(args.model, compile=False)  # a distilled model saves its DistillLoss
    spec = models.get(args.spec or model.name.replace("_", "-"))
    rep = None
    if args.quantize == "int8":
        if not args.data:
            raise SystemExit(f"{PROG} export: error: --quantize int8 needs --data")
        x, _ = task_split(data.load(args.data), spec, "Training")
        idx = np.random.default_rng(0).permutation(len(x))[: args.calibration]
        rep = prepare(x[idx], spec)
    metrics = json.loads(open(args.metrics).read()) if args.metrics else None
    meta = export.export_tflite(model, args.out, spec, args.labels.split(",") if args.labels else
                                list(spec.task.classes or data.LABELS),
                                quantize=args.quantize, representative=rep, metrics=metrics)
    print(json.dumps(meta))
    return 0


PROG = f"python -m {__package__ or 'training'}"  # emotion_monitor_training when installed from the wheel
TRAIN_EXTRA = {"keras", "tensorflow", "jax"}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog=PROG, description=__doc__)
    sub = p.add_subparsers(dest="cmd", required=True)

    m = sub.add_parser("models", help="list every model with its parameter counts")
    m.add_argument("--json", action="store_true")
    m.set_defaults(func=_models)

    t = sub.add_parser("train", help="train one model; resumes from DIR/checkpoint.keras")
    t.add_argument("--model", required=True)
    t.add_argument("--data", required=True, help="fer2013.tar.xz, extracted folder, fer2013.csv or class folders")
    t.add_argument("--out", required=True)
    t.add_argument("--epochs", type=int)
    t.add_argument("--batch-size", type=int)
    t.add_argument("--optimizer", choices=["adam", "adamw", "sgd"])
    t.add_argument("--lr", type=float)
    t.add_argument("--augment", help="comma list: flip,rotate,zoom,shift,shear,erase,blur,camera ('' = none)")
    t.add_argument("--early-stopping", type=int, metavar="PATIENCE")
    t.add_argument("--fine-tune-epochs", type=int, help="transfer models: epochs with the base unfrozen")
    t.add_argument("--weights", help="local ImageNet weights file for transfer models (never downloaded)")
    t.add_argument("--teacher", help="a trained .keras model to distill from (student gets its soft labels)")
    t.add_argument("--online-teacher", metavar="MODEL",
                   help="a registry model (e.g. emo-vgg) trained from scratch alongside the student, which "
                        "distills from its current soft labels; saved as OUT/teacher.keras")
    t.add_argument("--soft-targets", metavar="NPY|NPZ",
                   help="stored teacher probabilities: a .npy of the Training split (python -m training "
                        "soft-targets), or an .npz of every face's (ferplus_teachers.npz, python -m training "
                        "cohort); with --ferplus the votes and the teachers are mixed by --kd-alpha")
    t.add_argument("--teachers", help="with an .npz of --soft-targets: comma list of its teachers to average "
                                      "(default: all of them)")
    t.add_argument("--ferplus", metavar="CSV",
                   help="ferplus_votes.csv: train on the FER+ vote distributions (contempt dropped) and select "
                        "on FER+ PublicTest (majority vote)")
    t.add_argument("--fer2013-weight", type=float, default=0.0,
                   help="with --ferplus: share of the FER2013 label mixed into each target (0..1)")
    t.add_argument("--init", metavar="KERAS", help="start from this trained model's weights (same architecture)")
    t.add_argument("--kd-alpha", type=float, default=0.7, help="weight of the distillation term")
    t.add_argument("--kd-temperature", type=float, default=4.0)
    t.add_argument("--class-weight", metavar="W",
                   help="with soft targets: scale each face's loss by its label's class weight: 'unhappy' "
                        "(angry 1.5, disgust 2, fear 2, sad 1.5, others 1) or 7 comma-separated numbers")
    t.add_argument("--balance", type=float, default=0.0, metavar="POWER",
                   help="balanced sampler: draw a class of n faces in proportion to n ** (1 - POWER) "
                        "(0: as the data, 0.5: square root, 1: every class equally)")
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--precision", default="float32", choices=["float32", "mixed_bfloat16", "mixed_float16"])
    t.add_argument("--time-budget", type=float, help="seconds: fix the epoch count to fit (cosine schedule)")
    t.add_argument("--no-resume", action="store_true")
    t.add_argument("--no-export", action="store_true")
    t.add_argument("--max-steps", type=int, help="smoke test: this many batches per epoch")
    t.add_argument("--verbose", type=int, default=1)
    t.add_argument("--workers", type=int, default=1, help="threads preparing augmented batches")
    t.add_argument("--processes", type=int, default=0,
                   help="processes preparing augmented batches (scale where threads do not: see augment.py)")
    t.set_defaults(func=_train)

    e = sub.add_parser("evaluate", help="evaluate a .keras or .tflite model")
    e.add_argument("--model", required=True)
    e.add_argument("--data", required=True)
    e.add_argument("--split", default="PrivateTest", choices=["Training", "PublicTest", "PrivateTest"])
    e.add_argument("--spec", help="registry model name when it cannot be inferred")
    e.add_argument("--tta-flip", action="store_true", help="average with the horizontally flipped face")
    e.add_argument("--ferplus", metavar="CSV", help="score against the FER+ majority votes (ferplus_votes.csv)")
    e.add_argument("--json", action="store_true")
    e.set_defaults(func=_evaluate)

    st = sub.add_parser("soft-targets", help="store a teacher's probabilities for the Training split (.npy)")
    st.add_argument("--teacher", required=True, help=".keras or .tflite teacher")
    st.add_argument("--data", required=True)
    st.add_argument("--spec", required=True, help="the student's registry name (its input and task)")
    st.add_argument("--out", required=True)
    st.add_argument("--flip", action="store_true", help="average with the horizontally flipped face")
    st.set_defaults(func=_soft_targets)

    sp = sub.add_parser("soup", help="average two models' weights, the mix chosen on PublicTest")
    sp.add_argument("--a", required=True, help=".keras model (mix 0)")
    sp.add_argument("--b", required=True, help=".keras model of the same architecture (mix 1)")
    sp.add_argument("--out", required=True)
    sp.add_argument("--data", help="dataset whose PublicTest split picks the mix")
    sp.add_argument("--ferplus", metavar="CSV", help="ferplus_votes.csv: pick the mix by FER+ PublicTest "
                    "(majority votes, each face averaged with its mirror image) instead of FER2013's labels")
    sp.add_argument("--spec")
    sp.add_argument("--step", type=float, default=0.05, help="grid step of the mix in [0, 1]")
    sp.add_argument("--mix", type=float, help="use this mix instead of choosing one")
    sp.set_defaults(func=_soup)

    c = sub.add_parser("calibrate", help="fit temperature and class prior on PublicTest into a .tflite's .json")
    c.add_argument("--model", required=True, help=".tflite with its .json beside it")
    c.add_argument("--data", required=True)
    c.add_argument("--ferplus", required=True, metavar="CSV", help="ferplus_votes.csv (PublicTest majority votes)")
    c.add_argument("--class-bias", action="store_true",
                   help="fit a class bias beside the temperature (off: on FER+ its six parameters fitted on "
                        "PublicTest did not carry over; compare the cross-validation it prints)")
    c.add_argument("--no-flip-average", dest="flip_average", action="store_false",
                   help="fit on single faces (for a model the app runs without --flip-average)")
    c.set_defaults(func=_calibrate)

    co = sub.add_parser("cohort", help="train FER+ teachers and online-distilled students together (one batch "
                                       "feeds all); writes every member's probabilities for every face")
    co.add_argument("--plan", default="teachers", choices=["teachers"])
    co.add_argument("--data", required=True)
    co.add_argument("--ferplus", required=True, metavar="CSV")
    co.add_argument("--out", required=True)
    co.add_argument("--epochs", type=int, default=120)
    co.add_argument("--time-budget", type=float, help="seconds: fewer epochs if the planned ones do not fit")
    co.add_argument("--processes", type=int, default=0, help="augmentation processes (0: in the training process)")
    co.add_argument("--precision", default="float32", choices=["float32", "mixed_bfloat16"])
    co.add_argument("--max-steps", type=int, help="smoke test: this many batches per epoch")
    co.set_defaults(func=_cohort)

    x = sub.add_parser("export", help="export a .keras model to .tflite + .json metadata")
    x.add_argument("--model", required=True)
    x.add_argument("--out", required=True)
    x.add_argument("--spec")
    x.add_argument("--quantize", choices=["int8"])
    x.add_argument("--data", help="training data for int8 calibration")
    x.add_argument("--calibration", type=int, default=1000)
    x.add_argument("--labels")
    x.add_argument("--metrics", help="JSON file of metrics to store in the metadata")
    x.set_defaults(func=_export)

    args = p.parse_args(argv)
    try:
        return args.func(args)
    except ModuleNotFoundError as exc:
        if (exc.name or "").split(".")[0] not in TRAIN_EXTRA:
            raise
        print(f"{PROG}: error: training needs the [train] extra: pip install 'emotion-monitor[train]' "
              f"({exc.name} is not installed)", file=sys.stderr)
        return 1
    except (FileNotFoundError, ValueError) as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
