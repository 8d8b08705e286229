"""A cohort: several FER+ networks trained together on the same augmented batches, in one process.

Teachers learn the FER+ vote distributions from scratch; students learn the votes and, online, the
mean of the teachers' current probabilities on the very same augmented faces (Jin et al. 2019 argue a
student following its teachers' route learns at least as well as from the finished teachers). One
batch feeds every member, so the host's augmentation, the bound of every earlier GPU run (4.6 s an
epoch for one network), is paid once for all of them.

Each member keeps its own best epoch: after every epoch the cohort scores each member's
cross-entropy on the FER+ PublicTest majority votes (the selection rule of ``training.train``) and
holds the best weights in memory. At the end every member's probabilities for every face of the
archive, as is and mirrored, are written in the format of ``../shared/data/ferplus_teachers.npz``.

    python -m training cohort --data fer2013.tar.xz --ferplus ferplus_votes.csv --out runs/cohort --epochs 120
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import keras
import numpy as np
from keras import ops

from . import augment, data, models
from .callbacks import Schedule

# the preprocessing every member shares (contrast stretch, inputs in [-1, 1]): the app's for emo-wild
SPEC = "emo-wild"
LAYOUTS = {  # widths, convs per stage, head: emo_vgg's pattern at several sizes
    "emo-vgg": ((64, 128, 256, 512), (2, 2, 3, 3), 512),
    "emo-wide": ((48, 72, 144, 288), (1, 2, 2, 2), 384),
    "emo-wild": ((32, 48, 96, 192), (1, 2, 2, 2), 256),
}
UNHAPPY = ("angry", "disgust", "fear", "sad")


@dataclass(frozen=True)
class Member:
    """One network of a cohort. A teacher learns the votes alone; a student learns
    ``(1 - alpha) * CE(votes) + alpha * T^2 * KL(teachers' mean at T || student at T)``.
    ``class_weight`` scales each face's loss by its target's weight (``sum_c y_c w_c``)."""

    name: str
    layout: str
    role: str = "teacher"
    seed: int = 0
    alpha: float = 0.0
    temperature: float = 1.0
    class_weight: tuple[float, ...] | None = None

    def __post_init__(self):
        if self.layout not in LAYOUTS:
            raise ValueError(f"{self.name}: unknown layout {self.layout!r}; choose one of {', '.join(LAYOUTS)}")
        if self.role not in ("teacher", "student"):
            raise ValueError(f"{self.name}: role is 'teacher' or 'student', not {self.role!r}")


# Three FER+ teachers of emo_vgg's layout (the shared teachers' t-vgg: 0.850 alone at 45 epochs, the best
# per cost) from three seeds, and the students whose comparison picks the shipped network: the shipped
# width and 1.5x it, and at 1.5x the two levers for the rare unhappy classes, class weights and temperature
UNHAPPY_WEIGHTS = (1.5, 2.0, 2.0, 1.0, 1.0, 1.5, 1.0)  # angry, disgust, fear, happy, neutral, sad, surprise
PLANS: dict[str, list[Member]] = {
    "teachers": [
        Member("t-vgg-s1", "emo-vgg", "teacher", seed=1),
        Member("t-vgg-s2", "emo-vgg", "teacher", seed=2),
        Member("t-vgg-s3", "emo-vgg", "teacher", seed=3),
        Member("s-wild", "emo-wild", "student", seed=11, alpha=0.7),
        Member("s-wide", "emo-wide", "student", seed=12, alpha=0.7),
        Member("s-wide-cw", "emo-wide", "student", seed=13, alpha=0.7, class_weight=UNHAPPY_WEIGHTS),
        Member("s-wide-t2", "emo-wide", "student", seed=14, alpha=0.7, temperature=2.0),
    ],
}


def build_member(m: Member, input_shape=(48, 48, 1)) -> keras.Model:
    widths, convs, head = LAYOUTS[m.layout]
    keras.utils.set_random_seed(m.seed)
    dropout = 0.4 if m.layout == "emo-vgg" else 0.3
    return models.emo_vgg(input_shape, len(data.LABELS), widths=widths, convs=convs, head=head, dropout=dropout,
                          name=m.name.replace("-", "_"))


@keras.saving.register_keras_serializable("emotion_monitor")
class CohortLoss(keras.losses.Loss):
    """The sum of every member's loss; ``y_pred`` holds the members' probabilities side by side."""

    def __init__(self, members: list[dict] | None = None, classes: int = 7, name="cohort", **kwargs):
        super().__init__(name=name, **kwargs)
        self.members, self.classes = list(members or []), classes

    def call(self, y_true, y_pred):
        k, eps = self.classes, 1e-7
        y = ops.cast(y_true, "float32")
        probs = [ops.cast(y_pred[:, i * k:(i + 1) * k], "float32") for i in range(len(self.members))]
        teachers = [p for p, m in zip(probs, self.members) if m["role"] == "teacher"]
        mean_t = ops.stop_gradient(sum(teachers) / len(teachers)) if teachers else None
        total = 0.0
        for p, m in zip(probs, self.members):
            log_p = ops.log(ops.clip(p, eps, 1.0))
            loss = -ops.sum(y * log_p, axis=-1)
            if m["role"] == "student" and mean_t is not None and m["alpha"]:
                temp = m["temperature"]
                ls = ops.log_softmax(log_p / temp, axis=-1)
                lt = ops.log_softmax(ops.log(ops.clip(mean_t, eps, 1.0)) / temp, axis=-1)
                kl = ops.sum(ops.exp(lt) * (lt - ls), axis=-1) * temp * temp
                loss = (1 - m["alpha"]) * loss + m["alpha"] * kl
            if m.get("class_weight"):
                loss = loss * ops.sum(y * ops.convert_to_tensor(np.float32(m["class_weight"])), axis=-1)
            total = total + loss
        return total

    def get_config(self):
        return {**super().get_config(), "members": self.members, "classes": self.classes}


def build_cohort(members: list[Member], input_shape=(48, 48, 1)) -> tuple[keras.Model, list[keras.Model]]:
    cores = [build_member(m, input_shape) for m in members]
    x = inputs = keras.Input(input_shape)
    outs = [core(x) for core in cores]
    out = keras.layers.Concatenate(dtype="float32", name="members")(outs) if len(outs) > 1 else outs[0]
    return keras.Model(inputs, out, name="cohort"), cores


class BestMembers(keras.callbacks.Callback):
    """After every epoch: each member's cross-entropy and accuracy on the validation majority votes;
    the best epoch's weights (lowest cross-entropy) kept in memory per member."""

    def __init__(self, members, cores, x_val, y_val, log_path: Path):
        super().__init__()
        self.members, self.cores, self.x_val, self.y_val = members, cores, x_val, y_val
        self.best = {m.name: (np.inf, -1, None) for m in members}
        self.log_path = log_path

    def on_epoch_end(self, epoch, logs=None):
        row = {"epoch": epoch, "time": round(time.monotonic(), 1), "loss": round(float((logs or {}).get("loss", 0)), 4)}
        k = len(data.LABELS)
        joint = np.asarray(self.model.predict(self.x_val, batch_size=1024, verbose=0), np.float64)
        probs = {}
        for i, (m, core) in enumerate(zip(self.members, self.cores)):
            p = probs[m.name] = joint[:, i * k:(i + 1) * k]
            ce = float(-np.log(np.clip(p[np.arange(len(p)), self.y_val], 1e-7, 1)).mean())
            row[m.name] = {"ce": round(ce, 4), "acc": round(float((p.argmax(1) == self.y_val).mean()), 4)}
            if ce < self.best[m.name][0]:
                self.best[m.name] = (ce, epoch, [np.array(w) for w in core.get_weights()])
        teach = [probs[m.name] for m in self.members if m.role == "teacher"]
        if teach:
            row["teachers_mean_acc"] = round(float((np.mean(teach, 0).argmax(1) == self.y_val).mean()), 4)
        with open(self.log_path, "a") as fh:
            fh.write(json.dumps(row) + "\n")

    def restore(self) -> dict:
        for m, core in zip(self.members, self.cores):
            if self.best[m.name][2] is not None:
                core.set_weights(self.best[m.name][2])
        return {name: {"val_ce": round(b[0], 4), "best_epoch": b[1]} for name, b in self.best.items()}


def _report(y, p) -> dict:
    from .evaluate import report

    rep = report(y, p, data.LABELS)
    return {"accuracy": round(rep["accuracy"], 4), "macro_f1": round(rep["macro_f1"], 4),
            "recall": {c: round(v["recall"], 3) for c, v in rep["per_class"].items()},
            "confusion_matrix": rep["confusion_matrix"]}


def train_cohort(members: list[Member], data_path: str, ferplus: str, out: str, epochs: int = 120,
                 batch_size: int = 128, learning_rate: float = 0.05, weight_decay: float = 5e-4,
                 time_budget: float | None = None, processes: int = 0, precision: str = "float32",
                 max_steps: int | None = None, dataset: data.Dataset | None = None, verbose: int = 2) -> dict:
    """Train ``members`` together (see the module's docstring); returns the summary also written to
    ``out/summary.json``. Probabilities go to ``out/probabilities.npz``, members to ``out/<name>.keras``."""
    from . import ferplus as fp
    from .preprocess import prepare
    from .train import make_optimizer

    names = [m.name for m in members]
    if len(set(names)) != len(names):
        raise ValueError("member names must differ")
    if any(m.role == "student" and m.alpha for m in members) and not any(m.role == "teacher" for m in members):
        raise ValueError("students with alpha > 0 need at least one teacher in the cohort")
    out_dir = Path(out)
    out_dir.mkdir(parents=True, exist_ok=True)
    if precision != "float32":
        keras.mixed_precision.set_global_policy(precision)
    spec = models.get(SPEC)
    ds = dataset if dataset is not None else data.load(data_path)
    votes = fp.load_votes(ferplus, ds)
    soft, usable = fp.soft_labels(ds, votes, 0.0)
    major, keep = fp.majority(votes)
    tr, va, te = (ds.usage == u for u in (0, 1, 2))
    sel_tr, sel_va, sel_te = tr & usable, va & keep, te & keep
    xtr, ytr = ds.images[sel_tr], soft[sel_tr]
    xva, yva = ds.images[sel_va], major[sel_va]
    if max_steps:
        xtr, ytr, xva, yva = (a[: max_steps * batch_size] for a in (xtr, ytr, xva, yva))
    Xtr = prepare(xtr, spec, photometric=False)  # the stretch comes after augmenting, as in training.train
    Xva = prepare(xva, spec)
    lo, hi = spec.input_offset, 255 * spec.input_scale + spec.input_offset
    seq = augment.AugmentedSequence(Xtr, ytr, batch_size, spec.recipe.augment, (lo, hi), seed=members[0].seed,
                                    finish=models.photometric(spec), processes=processes)
    model, cores = build_cohort(members, spec.input_shape)
    model.compile(make_optimizer("sgd", learning_rate, weight_decay),
                  CohortLoss([asdict(m) for m in members]))
    log_path = out_dir / "epochs.jsonl"
    log_path.unlink(missing_ok=True)
    best = BestMembers(members, cores, Xva, yva, log_path)
    state: dict = {}
    schedule = Schedule(learning_rate, epochs, "cosine", time_budget=time_budget, state=state)
    print(f"cohort of {len(members)} ({', '.join(names)}): {len(Xtr)} training / {len(Xva)} validation faces, "
          f"{processes or 'no'} augmentation processes", flush=True)
    t0 = time.monotonic()
    try:
        model.fit(seq, epochs=epochs if not time_budget else max(epochs, 10_000), callbacks=[schedule, best],
                  verbose=verbose)
    finally:
        seq.close()
    wall = time.monotonic() - t0
    selected = best.restore()

    # every member's probabilities for every face of the archive, as is and mirrored (a smoke run: the
    # first faces of each split only)
    pick = np.arange(len(ds))
    if max_steps:
        pick = np.concatenate([np.flatnonzero(ds.usage == u)[: max_steps * batch_size] for u in (0, 1, 2)])
    X_all, X_all_m = prepare(ds.images[pick], spec), prepare(ds.images[pick][:, :, ::-1], spec)
    sel_te, y_te = sel_te[pick], major[pick][sel_te[pick]]
    arrays: dict[str, np.ndarray] = {"usage": ds.usage[pick].astype(np.uint8)}
    summary: dict = {"members": [asdict(m) for m in members], "epochs_trained": int(schedule.epochs),
                     "wall_seconds": round(wall, 1), "backend": keras.backend.backend(), "precision": precision,
                     "processes": processes, "selected": selected, "privatetest": {}}
    probs_te = {}
    for m, core in zip(members, cores):
        p = np.stack([np.asarray(core.predict(X, batch_size=1024, verbose=0), np.float32) for X in (X_all, X_all_m)])
        arrays["t_" + m.name.replace("-", "_")] = p.astype(np.float16)
        probs_te[m.name] = p[:, sel_te].mean(0)
        summary["privatetest"][m.name] = {"ferplus": _report(y_te, p[0, sel_te]),
                                          "ferplus_mirror_avg": _report(y_te, probs_te[m.name])}
        if m.role == "student":
            core.save(out_dir / f"{m.name}.keras")
    teachers = [probs_te[m.name] for m in members if m.role == "teacher"]
    if len(teachers) > 1:
        summary["privatetest"]["teachers_mean"] = {"ferplus_mirror_avg": _report(y_te, np.mean(teachers, 0))}
    np.savez_compressed(out_dir / "probabilities.npz", **arrays)
    (out_dir / "summary.json").write_text(json.dumps(summary, indent=1))
    for name, r in summary["privatetest"].items():
        rr = r["ferplus_mirror_avg"]
        print(f"== {name}: FER+ PrivateTest {rr['accuracy']:.4f} (mirror-averaged), recall "
              + " ".join(f"{c} {rr['recall'].get(c, 0):.2f}" for c in UNHAPPY), flush=True)
    return summary
