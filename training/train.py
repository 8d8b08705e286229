"""Train one model of the registry, resumably, and write every artifact of the run to one folder."""

from __future__ import annotations

import json
import os
import platform
import time
from dataclasses import asdict, replace
from pathlib import Path

import keras
import numpy as np

from . import augment, data, distill, models
from .callbacks import CKPT, STATE, Checkpoint, Schedule
from .preprocess import class_names, prepare, targets, task_split


def make_loss(name: str, label_smoothing: float):
    if name == "categorical_crossentropy":
        return keras.losses.CategoricalCrossentropy(label_smoothing=label_smoothing)
    if name == "binary_crossentropy":
        return keras.losses.BinaryCrossentropy(label_smoothing=label_smoothing)
    if name == "sparse_categorical_crossentropy":
        return keras.losses.SparseCategoricalCrossentropy()
    raise ValueError(f"unknown loss {name!r}")


def make_optimizer(name: str, lr: float, weight_decay: float = 0.0):
    wd = weight_decay or None
    if name == "sgd":
        return keras.optimizers.SGD(lr, momentum=0.9, nesterov=True, weight_decay=wd)
    if name == "adam":
        return keras.optimizers.Adam(lr, weight_decay=wd)
    if name == "adamw":
        return keras.optimizers.AdamW(lr, weight_decay=weight_decay or 1e-4)
    raise ValueError(f"unknown optimizer {name!r}")


def archive_soft_targets(path, teachers=None, n_faces=None) -> np.ndarray:
    """float32 (N, 7): the mean of stored teachers' probabilities for every face of the archive, each
    averaged over the face as is and mirrored (``../shared/data/ferplus_teachers.npz``'s format:
    arrays ``t_NAME`` of shape (2, N, 7); ``teachers`` picks names, default every ``t_*`` array)."""
    with np.load(path) as z:
        names = list(teachers) if teachers else [k[2:] for k in z.files if k.startswith("t_")]
        missing = [n for n in names if f"t_{n}" not in z.files]
        if missing or not names:
            have = ", ".join(k[2:] for k in z.files if k.startswith("t_")) or "none"
            raise ValueError(f"{path}: no teacher {', '.join(missing) or '(none given)'} (it has: {have})")
        probs = np.mean([z[f"t_{n}"].astype(np.float32).mean(0) for n in names], axis=0)
    if n_faces is not None and len(probs) != n_faces:
        raise ValueError(f"{path}: {len(probs)} faces for an archive of {n_faces}: another dataset's teachers")
    return probs / probs.sum(1, keepdims=True)


def training_sets(ds: data.Dataset, spec, r, seed, max_steps, ferplus=None, fer2013_weight=0.0,
                  soft_targets=None, teachers=None) -> dict:
    """Model inputs and targets of Training and PublicTest for one run: FER2013 labels, or FER+ vote
    distributions (PublicTest then scored on the FER+ majority), offline copies, a stored teacher's
    probabilities after the labels (a .npy of the Training split, or an .npz of every face's teachers,
    see :func:`archive_soft_targets`). ``finish`` is the photometric normalisation left to the augmenter."""
    label_set = None
    if ferplus:
        if spec.task.classes or r.loss != "categorical_crossentropy":
            raise ValueError(f"{spec.name}: FER+ labels need a 7-class categorical_crossentropy model")
        from . import ferplus as fp

        votes = fp.load_votes(ferplus, ds)
        soft, usable = fp.soft_labels(ds, votes, fer2013_weight)
        fer_major, fer_keep = fp.majority(votes)
        label_set = {"train": soft, "usable": usable, "major": fer_major, "keep": fer_keep}
    xtr, ytr = task_split(ds, spec, "Training", seed)
    xva, yva = task_split(ds, spec, "PublicTest", seed)
    if label_set is not None:
        tr, va = ds.usage == 0, ds.usage == 1
        keep_tr = label_set["usable"][tr]
        xtr, ytr, soft_tr = xtr[keep_tr], ytr[keep_tr], label_set["train"][tr][keep_tr]
        keep_va = label_set["keep"][va]
        xva, yva = xva[keep_va], label_set["major"][va][keep_va]
    if r.offline_augment:
        xtr, ytr = augment.offline_copies(xtr, ytr, r.offline_augment)
    n_train = len(xtr)
    if max_steps:  # smoke runs: a few batches only
        n = max_steps * r.batch_size
        xtr, ytr, xva, yva = xtr[:n], ytr[:n], xva[:n], yva[:n]
    finish = models.photometric(spec) if r.augment else None  # applied after augmenting, batch by batch
    Xtr, Xva = prepare(xtr, spec, photometric=finish is None), prepare(xva, spec)
    Ytr, Yva = targets(ytr, spec, r.loss), targets(yva, spec, r.loss)
    if label_set is not None:
        Ytr = soft_tr[: len(Ytr)]
    if soft_targets:
        if str(soft_targets).endswith(".npz"):  # every face's teacher probabilities: the rows of this split
            tr = ds.usage == 0
            soft = archive_soft_targets(soft_targets, teachers, len(ds))[tr]
            if label_set is not None:
                soft = soft[label_set["usable"][tr]]
        else:
            soft = np.load(soft_targets).astype(np.float32)
        if r.offline_augment or soft.shape != (n_train, Ytr.shape[1]):
            raise ValueError(f"soft targets {soft.shape} do not fit {n_train} training labels of "
                             f"{Ytr.shape[1]} classes (no offline copies)")
        Ytr = np.concatenate([Ytr, soft[: len(Ytr)]], axis=1)
        Yva = np.concatenate([Yva, Yva], axis=1)  # validation: the labels stand in for the teacher
    return {"Xtr": Xtr, "Ytr": Ytr, "Xva": Xva, "Yva": Yva, "yva": yva, "finish": finish, "label_set": label_set}


def train(model_name: str, data_path: str, out: str, epochs=None, batch_size=None, optimizer=None,
          learning_rate=None, augment_names=None, early_stopping=None, weights=None, seed=0,
          precision="float32", time_budget=None, resume=True, verbose=1, max_steps=None,
          dataset: data.Dataset | None = None, export=True, fine_tune_epochs=None, teacher: str | None = None,
          kd_alpha: float = 0.7, kd_temperature: float = 4.0, workers: int = 1,
          online_teacher: str | None = None, soft_targets: str | None = None, init: str | None = None,
          ferplus: str | None = None, fer2013_weight: float = 0.0, teachers: list[str] | None = None,
          processes: int = 0, class_weight: tuple[float, ...] | None = None, balance: float = 0.0) -> dict:
    """Train one registry model; see ``python -m training train --help`` for the arguments.

    ``teacher`` distills from a trained .keras model (frozen); ``online_teacher`` names a registry
    model trained alongside the student from scratch (online distillation), saved as teacher.keras;
    ``soft_targets`` is a .npy of a teacher's probabilities for the Training split (see
    ``python -m training soft-targets``). ``init`` starts from a trained .keras model's weights.
    ``ferplus`` (ferplus_votes.csv) trains on the FER+ vote distributions mixed with
    ``fer2013_weight`` of the FER2013 label, and selects on FER+ PublicTest (majority vote); with
    ``soft_targets`` too, the loss is ``(1 - kd_alpha) * CE(votes) + kd_alpha * KL(teachers || student)``.
    ``balance`` draws each epoch's faces with replacement, a class of n faces in proportion to
    ``n ** (1 - balance)`` (the class: the label's largest share), instead of shuffling them.
    """
    if sum(map(bool, (teacher, online_teacher, soft_targets))) > 1:
        raise ValueError("give one teacher: a trained teacher, an online teacher or soft targets, not several")
    if class_weight and not soft_targets:
        raise ValueError("class weights apply to distillation from stored teachers (--soft-targets)")
    if ferplus and (teacher or online_teacher):
        raise ValueError("FER+ labels take stored teachers (--soft-targets), not a live one")
    spec = models.get(model_name)
    tspec = models.get(online_teacher) if online_teacher else None
    if tspec and (tspec.input_shape != spec.input_shape or tspec.input_scale != spec.input_scale
                  or tspec.input_offset != spec.input_offset or tspec.task != spec.task):
        raise ValueError(f"{online_teacher} and {model_name} differ in input or task: cannot train together")
    r = spec.recipe
    overrides = {k: v for k, v in dict(epochs=epochs, batch_size=batch_size, optimizer=optimizer,
                                      learning_rate=learning_rate, early_stopping=early_stopping).items()
                 if v is not None}
    if augment_names is not None:
        overrides["augment"] = tuple(augment_names)
    if fine_tune_epochs is not None:
        overrides["fine_tune_epochs"] = fine_tune_epochs
    r = replace(r, **overrides)
    if balance and not r.augment:
        raise ValueError("a balanced sampler needs on-the-fly augmentation (the recipe has none)")
    distilling = bool(teacher or tspec or soft_targets)
    if distilling and (r.loss != "categorical_crossentropy" or (tspec and tspec.recipe.loss != r.loss)):
        raise ValueError("distillation needs categorical_crossentropy recipes")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    keras.utils.set_random_seed(seed)
    if precision != "float32":
        keras.mixed_precision.set_global_policy(precision)

    ds = dataset if dataset is not None else data.load(data_path)
    sets = training_sets(ds, spec, r, seed, max_steps, ferplus, fer2013_weight, soft_targets, teachers)
    Xtr, Ytr, Xva, Yva, yva, finish, label_set = (sets[k] for k in ("Xtr", "Ytr", "Xva", "Yva", "yva", "finish",
                                                                      "label_set"))
    print(f"{spec.name}: {len(Xtr)} training / {len(Xva)} validation images, input {spec.input_shape}; "
          f"{spec.task.note}", flush=True)

    state_file = out / STATE
    state = json.loads(state_file.read_text()) if resume and state_file.exists() else {}
    initial_epoch = int(state.get("epoch", 0))
    lo = spec.input_offset
    hi = 255 * spec.input_scale + spec.input_offset
    if initial_epoch and (out / CKPT).exists():
        train_model = keras.saving.load_model(out / CKPT)
        core = train_model.get_layer(spec.name.replace("-", "_")) if teacher or tspec else train_model
        print(f"resuming from epoch {initial_epoch} ({out / CKPT})", flush=True)
    else:
        initial_epoch, state = 0, {}
        core = models.build(model_name, weights)
        state["weights"] = weights or "none (from scratch)"
        if init:
            start = keras.saving.load_model(init)
            if [w.shape for w in start.weights] == [w.shape for w in core.weights]:
                core.set_weights(start.get_weights())
                state["weights"] = f"initialised from {init}"
            else:  # a narrower network of the same layout: grown into this one, same function
                from .widen import widen_into

                grown = widen_into(start, core, seed=seed)
                state["weights"] = f"widened from {init} (Net2WiderNet: {len(grown)} layers grown)"
        if label_set is not None:
            state["labels"] = f"FER+ votes ({ferplus}), FER2013 label weight {fer2013_weight}"
        if balance:
            state["balance"] = balance
        opt = make_optimizer(r.optimizer, r.learning_rate, r.weight_decay)
        kd = (spec.task.n_outputs, kd_alpha, kd_temperature, r.label_smoothing)
        if teacher:
            train_model = distill.wrap(core, keras.saving.load_model(teacher), spec.input_shape)
            train_model.compile(opt, distill.DistillLoss(*kd), metrics=[distill.student_accuracy])
            state["teacher"] = str(teacher)
        elif tspec:
            train_model = distill.wrap(core, models.build(online_teacher), spec.input_shape, train_teacher=True)
            train_model.compile(opt, distill.DistillLoss(*kd, online=True,
                                                         teacher_label_smoothing=tspec.recipe.label_smoothing),
                                metrics=[distill.student_accuracy, distill.teacher_accuracy])
            state["teacher"] = f"{online_teacher} (online, trained alongside)"
        elif soft_targets:
            train_model = core
            train_model.compile(opt, distill.DistillLoss(*kd, class_weight=class_weight),
                                metrics=[distill.stored_student_accuracy])
            state["teacher"] = f"stored soft targets {soft_targets}"
            if class_weight:
                state["class_weight"] = list(class_weight)
        else:
            train_model = core
            train_model.compile(opt, make_loss(r.loss, r.label_smoothing), metrics=["accuracy"])
    planned = state.get("planned", r.epochs)
    callbacks = [
        Schedule(r.learning_rate, planned, r.schedule, time_budget=time_budget, state=state),
        # FER+ runs select on the validation loss (cross-entropy on the majority votes): on 3,372 faces the
        # majority-vote accuracy moves by half a point from epoch to epoch and its maximum picks noise
        # (emo-wide: the best-accuracy epoch 5 scored 0.824 on PrivateTest, the lowest-loss last one 0.834)
        Checkpoint(out, core, state, monitor="val_loss" if label_set is not None else "val_accuracy"),
        keras.callbacks.CSVLogger(str(out / "history.csv"), append=initial_epoch > 0),
    ]
    if r.early_stopping:
        callbacks.append(keras.callbacks.EarlyStopping("val_loss", patience=r.early_stopping,
                                                       restore_best_weights=True))
    if keras.backend.backend() == "tensorflow":  # Keras' TensorBoard writer needs TensorFlow
        callbacks.append(keras.callbacks.TensorBoard(str(out / "logs")))
    t0 = time.monotonic()
    fit_epochs = planned if not time_budget else max(planned, 10_000)
    if initial_epoch < planned:
        if r.augment:
            draw = (augment.balanced_probabilities(Ytr[:, :spec.task.n_outputs].argmax(1), balance)
                     if balance else None)
            seq = augment.AugmentedSequence(Xtr, Ytr, r.batch_size, r.augment, (lo, hi), seed, finish=finish,
                                            workers=workers, processes=processes, draw=draw)
            seq.epoch = initial_epoch
            try:
                train_model.fit(seq, epochs=fit_epochs, initial_epoch=initial_epoch, validation_data=(Xva, Yva),
                                callbacks=callbacks, verbose=verbose)
            finally:
                seq.close()
        else:
            train_model.fit(Xtr, Ytr, batch_size=r.batch_size, epochs=fit_epochs, initial_epoch=initial_epoch,
                            validation_data=(Xva, Yva), callbacks=callbacks, verbose=verbose, shuffle=True)
    wall = state.get("elapsed", time.monotonic() - t0)

    if r.fine_tune_epochs and not state.get("fine_tuned"):
        for layer in core.layers:
            layer.trainable = True
        core.compile(make_optimizer(r.fine_tune_optimizer, r.fine_tune_learning_rate),
                     make_loss(r.loss, r.label_smoothing), metrics=["accuracy"])
        ft_cb = [keras.callbacks.CSVLogger(str(out / "history_finetune.csv"))]
        if r.early_stopping:
            ft_cb.append(keras.callbacks.EarlyStopping("val_loss", patience=r.early_stopping,
                                                       restore_best_weights=True))
        t1 = time.monotonic()
        core.fit(Xtr, Ytr, batch_size=r.batch_size, epochs=r.fine_tune_epochs, validation_data=(Xva, Yva),
                 callbacks=ft_cb, verbose=verbose)
        wall += time.monotonic() - t1
        state["fine_tuned"] = True
        core.save(out / "best.keras")

    if r.early_stopping or not (out / "best.keras").exists():
        core.save(out / "best.keras")  # early stopping restored the best weights into core
    final = keras.saving.load_model(out / "best.keras")
    final.save(out / "model.keras")
    names = class_names(ds, spec)

    from . import evaluate as ev
    xte, yte = task_split(ds, spec, "PrivateTest", seed)
    if max_steps:
        xte, yte = xte[: max_steps * r.batch_size], yte[: max_steps * r.batch_size]
    Xte, Xte_mirrored = prepare(xte, spec), prepare(xte[:, :, ::-1], spec)

    def privatetest(model):
        """PrivateTest reports of ``model``: as it is, and averaged with the mirrored faces."""
        probs = ev.predict_keras(model, Xte)
        return (ev.report(yte, probs, names),
                ev.report(yte, (probs + ev.predict_keras(model, Xte_mirrored)) / 2, names))

    report, flip = privatetest(final)
    ferplus_report = None
    if label_set is not None and not max_steps:
        te = ds.usage == 2
        keep = label_set["keep"][te]
        ferplus_report = ev.report(label_set["major"][te][keep], ev.predict_keras(final, Xte[keep]), names)
    teacher_metrics = None
    if tspec:
        # the teacher as it ended: its last epoch, where the cosine schedule reaches zero
        tcore = train_model.get_layer("teacher")
        tcore.save(out / "teacher.keras")
        t_report, t_flip = privatetest(tcore)
        teacher_metrics = {
            "model": tspec.name, "params": models.count_params(tcore)[0],
            "privatetest_accuracy": t_report["accuracy"], "privatetest_accuracy_flip_tta": t_flip["accuracy"],
            "publictest_accuracy": ev.report(yva, ev.predict_keras(tcore, Xva), names)["accuracy"],
        }
    metrics = {
        "model": spec.name, "params": models.count_params(final)[0], "task": spec.task.note,
        "epochs_trained": int(state.get("epoch", planned)),
        "best_epoch": state.get("best_epoch"), "selected_on": state.get("monitor", "val_accuracy"),
        "publictest_accuracy": ev.report(yva, ev.predict_keras(final, Xva), names)["accuracy"],
        "privatetest": report, "privatetest_accuracy": report["accuracy"],
        "privatetest_accuracy_flip_tta": flip["accuracy"],
        "ferplus_privatetest": ferplus_report,
        "ferplus_privatetest_accuracy": ferplus_report["accuracy"] if ferplus_report else None,
        "labels": state.get("labels", "FER2013"),
        "wall_seconds": round(wall, 1), "backend": keras.backend.backend(), "precision": precision,
        "machine": f"{platform.node()} {platform.processor() or platform.machine()} ({os.cpu_count()} cpus)",
        "balance": state.get("balance", 0.0),
        "recipe": asdict(r), "weights": state.get("weights", weights or "none (from scratch)"), "seed": seed,
        "teacher": teacher or state.get("teacher"), "teacher_metrics": teacher_metrics,
        "kd": {"alpha": kd_alpha, "temperature": kd_temperature, "online": bool(tspec),
               "class_weight": state.get("class_weight")}
        if distilling else None,
    }
    (out / "metrics.json").write_text(json.dumps(metrics, indent=1))
    ev.plot_history(out / "history.csv", out / "curves.png")
    ev.plot_confusion(report, out / "confusion.png", f"{spec.name} PrivateTest")
    if export:
        from . import export as ex
        if keras.backend.backend() == "tensorflow":
            ex.export_tflite(final, out / "model.tflite", spec, names, quantize=None,
                             metrics={"privatetest_accuracy": report["accuracy"]})
        else:
            print("the .tflite converter needs the TensorFlow backend: skipped the export "
                  f"(run: python -m training export --model {out / 'model.keras'})", flush=True)
    print(json.dumps({k: metrics[k] for k in ("model", "privatetest_accuracy", "privatetest_accuracy_flip_tta",
                                              "ferplus_privatetest_accuracy", "epochs_trained", "wall_seconds")}),
                     flush=True)
    return metrics
