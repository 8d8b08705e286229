"""training/: loaders, exact parameter counts, one tiny run end to end, export agreement, metrics."""

import csv
import io
import json
import tarfile

import numpy as np
import pytest

pytest.importorskip("tensorflow", reason="needs the [train] extra")
keras = pytest.importorskip("keras")

from training import data, models  # noqa: E402
from training.evaluate import report  # noqa: E402

REPORTED = {"vyas-m1": 4_470_791, "vyas-m2": 435_815, "vyas-img-a": 5_107_523, "vyas-img-b": 92_867,
            "tamrakar": 13_860_679}


@pytest.mark.parametrize("name", list(models.SEED_MODELS))
def test_seed_models_have_the_reported_parameter_counts(name):
    """Where a report prints its count, the network has it; every network has the count of the run
    that reproduced it (training/results/NAME/**/metrics.json): a changed layer changes the number."""
    from pathlib import Path

    spec = models.get(name)
    total, trainable = models.count_params(models.build(name))
    runs = sorted((Path(__file__).resolve().parent.parent / "training" / "results" / name).rglob("metrics.json"))
    assert runs, f"no reproduction run of {name} in training/results"
    assert {json.loads(r.read_text())["params"] for r in runs} == {total}
    if name in REPORTED:
        assert total == REPORTED[name]
        assert spec.reported_params == REPORTED[name]  # the registry states the reports' own figure
    if name == "tamrakar":
        assert trainable == 1_217_799


# the nine models of the five seed reports (../shared/seeds/README.md), named as the registry names them
SEED_IDS = {"vyas-m1", "vyas-m2", "vyas-img-a", "vyas-img-b", "stanley", "teuchert-cnn", "teuchert-mnv2",
            "ashutosh", "tamrakar"}


def test_models_json_lists_all_nine_with_the_reported_counts(capsys):
    from training.__main__ import main

    assert main(["models", "--json"]) == 0
    rows = {r["name"]: r for r in json.loads(capsys.readouterr().out)}
    assert SEED_IDS <= set(rows) and set(models.SEED_MODELS) == SEED_IDS
    for name, count in REPORTED.items():
        assert rows[name]["params"] == count
    assert rows["tamrakar"]["trainable_params"] == 1_217_799
    assert rows["vyas-img-a"]["input_shape"] == [224, 224, 3] and rows["vyas-m1"]["input_shape"] == [48, 48, 1]


def synthetic(n_per=6, seed=0):
    """Tiny FER-like data: each class is a distinct brightness pattern plus noise."""
    rng = np.random.default_rng(seed)
    items = []
    for usage in data.USAGES:
        for c, label in enumerate(data.LABELS):
            for k in range(n_per):
                img = np.clip(rng.normal(30 + 30 * c, 8, (48, 48)), 0, 255).astype(np.uint8)
                img[:, : 6 * (c + 1)] = 255 - img[:, : 6 * (c + 1)]
                items.append((usage, label, f"{usage}_{c}{k}.png", img))
    return items


def write_tar(path, items):
    import cv2

    with tarfile.open(path, "w:xz") as tar:
        for usage, label, name, img in items:
            top = "train" if usage == "Training" else "test"
            buf = cv2.imencode(".png", img)[1].tobytes()  # lossless so formats compare exactly
            info = tarfile.TarInfo(f"{top}/{label}/{name}")
            info.size = len(buf)
            tar.addfile(info, io.BytesIO(buf))


def test_three_formats_load_the_same_data(tmp_path):
    import cv2

    items = synthetic(3)
    write_tar(tmp_path / "fer.tar.xz", items)
    for usage, label, name, img in items:
        d = tmp_path / "folder" / ("train" if usage == "Training" else "test") / label
        d.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(d / name), img)
    with open(tmp_path / "fer2013.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["emotion", "pixels", "Usage"])
        for usage, label, _name, img in sorted(items, key=lambda it: (data.USAGES.index(it[0]), it[2])):
            w.writerow([data.LABELS.index(label), " ".join(map(str, img.ravel())), usage])
    a = data.load(tmp_path / "fer.tar.xz", cache=False)
    b = data.load(tmp_path / "folder", cache=False)
    c = data.load(tmp_path / "fer2013.csv", cache=False)
    assert len(a) == len(b) == len(c) == 3 * 7 * 3
    for other in (b, c):
        assert np.array_equal(a.images, other.images)
        assert np.array_equal(a.labels, other.labels) and np.array_equal(a.usage, other.usage)
    x, y = a.split("PrivateTest")
    assert len(x) == 21 and sorted(set(y.tolist())) == list(range(7))


def test_class_folders_of_users_own_data(tmp_path):
    import cv2

    for cls in ("happy", "sad"):
        (tmp_path / cls).mkdir()
        for k in range(10):
            cv2.imwrite(str(tmp_path / cls / f"{k}.jpg"), np.full((96, 80, 3), 20 * k, np.uint8))
    ds = data.load(tmp_path)
    assert ds.images.shape == (20, 48, 48)
    assert set(ds.class_names) == set(data.LABELS)  # FER names keep FER's order
    assert sorted(np.bincount(ds.usage).tolist()) == [2, 2, 16]


@pytest.mark.slow
def test_tiny_training_run_writes_every_artifact_and_the_export_agrees(tmp_path):
    from training.evaluate import predict_keras, predict_tflite
    from training.preprocess import prepare
    from training.train import train

    write_tar(tmp_path / "fer.tar.xz", synthetic(8))
    out = tmp_path / "run"
    m = train("vyas-m2", str(tmp_path / "fer.tar.xz"), str(out), epochs=2, batch_size=16, verbose=0)
    for f in ("model.keras", "model.tflite", "model.json", "history.csv", "curves.png", "confusion.png",
              "metrics.json", "checkpoint.keras", "state.json"):
        assert (out / f).is_file(), f
    assert any((out / "logs").rglob("*")), "TensorBoard logs"
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["epochs_trained"] == 2 and metrics["privatetest"]["n"] == 56
    assert m["privatetest_accuracy"] == metrics["privatetest_accuracy"]
    # the reported accuracy is the saved model's own on PrivateTest, recomputed here
    ds = data.load(tmp_path / "fer.tar.xz", cache=False)
    x, y = ds.split("PrivateTest")
    saved = keras.saving.load_model(out / "model.keras")
    spec = models.get("vyas-m2")
    assert metrics["privatetest_accuracy"] == pytest.approx(float((predict_keras(saved, prepare(x, spec)).argmax(1) == y).mean()))
    # resuming a finished run trains nothing more and keeps the history
    train("vyas-m2", str(tmp_path / "fer.tar.xz"), str(out), epochs=2, batch_size=16, verbose=0)
    with open(out / "history.csv") as fh:
        assert len(fh.readlines()) == 1 + 2
    ds = data.load(tmp_path / "fer.tar.xz", cache=False)
    x = prepare(ds.split("PrivateTest")[0], models.get("vyas-m2"))
    pk = predict_keras(keras.saving.load_model(out / "model.keras"), x)
    pt = predict_tflite(out / "model.tflite", x)
    assert np.mean(pk.argmax(1) == pt.argmax(1)) >= 0.995
    assert np.abs(pk - pt).max() < 1e-3
    meta = json.loads((out / "model.json").read_text())
    assert meta["labels"] == list(data.LABELS) and meta["input_size"] == 48


def test_report_on_a_hand_checkable_case():
    y = np.array([0, 0, 1, 1, 2, 2])
    probs = np.eye(3)[[0, 1, 1, 1, 2, 0]]  # 4 of 6 right
    r = report(y, probs, ["a", "b", "c"])
    assert r["accuracy"] == pytest.approx(4 / 6)
    assert r["confusion_matrix"] == [[1, 1, 0], [0, 2, 0], [1, 0, 1]]
    # per class: a P=1/2 R=1/2; b P=2/3 R=1; c P=1 R=1/2
    assert r["per_class"]["b"]["precision"] == pytest.approx(2 / 3)
    assert r["per_class"]["c"]["recall"] == pytest.approx(0.5)
    f1 = [0.5, 0.8, 2 / 3]
    assert r["macro_f1"] == pytest.approx(np.mean(f1))


@pytest.mark.slow
def test_distillation_trains_a_student_from_a_teacher(tmp_path):
    from pathlib import Path

    from training.train import train

    teacher = Path(__file__).resolve().parent.parent / "models" / "emotion.keras"
    write_tar(tmp_path / "fer.tar.xz", synthetic(4))
    out = tmp_path / "kd"
    m = train("emo-fast", str(tmp_path / "fer.tar.xz"), str(out), epochs=1, batch_size=16, verbose=0,
              teacher=str(teacher), export=False)
    assert m["teacher"] == str(teacher) and m["kd"]["alpha"] == 0.7
    with open(out / "history.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 1 and np.isfinite(float(rows[0]["loss"]))
    student = keras.saving.load_model(out / "model.keras")
    assert student.name == "emo_fast" and student.output_shape == (None, 7)


def test_online_distillation_loss_trains_the_teacher_on_labels_only():
    tf = pytest.importorskip("tensorflow")
    from training.distill import DistillLoss

    y = tf.constant([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])
    s = tf.constant([[0.2, 0.5, 0.3], [0.6, 0.3, 0.1]])
    t = tf.Variable([[0.1, 0.7, 0.2], [0.5, 0.25, 0.25]])
    for online, ls in ((False, 0.0), (True, 0.0), (True, 0.3)):
        loss = DistillLoss(3, alpha=0.5, temperature=2.0, online=online, teacher_label_smoothing=ls)
        with tf.GradientTape() as tape:
            value = loss(y, tf.concat([s, t], axis=1))
        grad = tape.gradient(value, t)
        if not online:  # a frozen teacher gets no gradient
            assert grad is None or np.allclose(grad.numpy(), 0.0)
            offline = float(value)
            continue
        # the teacher's gradient is its own cross-entropy's: -y_t / t, averaged over the batch
        y_t = y.numpy() * (1 - ls) + ls / 3
        np.testing.assert_allclose(grad.numpy(), -y_t / t.numpy() / 2, rtol=1e-5)
        # and the loss is the offline loss plus that cross-entropy
        ce_t = -np.mean(np.sum(y_t * np.log(t.numpy()), axis=1))
        assert float(value) == pytest.approx(offline + ce_t, rel=1e-5)


def test_class_weights_scale_each_face_by_its_label_share():
    tf = pytest.importorskip("tensorflow")
    from training.distill import DistillLoss

    # stored targets: [votes | teacher probabilities]; the second face's votes are split 50/50
    y = tf.constant([[0.0, 1.0, 0.0, 0.1, 0.8, 0.1], [0.5, 0.0, 0.5, 0.4, 0.2, 0.4]])
    s = tf.constant([[0.2, 0.5, 0.3], [0.6, 0.3, 0.1]])
    plain = DistillLoss(3, alpha=0.5, temperature=1.0, reduction=None)(y, s).numpy()
    weighted = DistillLoss(3, alpha=0.5, temperature=1.0, class_weight=(1.0, 3.0, 2.0), reduction=None)(y, s).numpy()
    np.testing.assert_allclose(weighted, plain * [3.0, 0.5 * 1.0 + 0.5 * 2.0], rtol=1e-6)
    with pytest.raises(ValueError, match="3 weights"):
        DistillLoss(3, class_weight=(1.0, 2.0))
    assert DistillLoss.from_config(DistillLoss(3, class_weight=(1, 3, 2)).get_config()).class_weight == [1.0, 3.0, 2.0]


@pytest.mark.slow
def test_online_distillation_trains_teacher_and_student_together(tmp_path):
    from training.train import train

    write_tar(tmp_path / "fer.tar.xz", synthetic(4))
    out = tmp_path / "online"
    m = train("emo-fast", str(tmp_path / "fer.tar.xz"), str(out), epochs=1, batch_size=16, verbose=0,
              online_teacher="emo-vgg", export=False)
    assert m["kd"]["online"] and m["teacher"].startswith("emo-vgg")
    assert m["teacher_metrics"]["model"] == "emo-vgg"
    teacher = keras.saving.load_model(out / "teacher.keras")  # the reported figure is the saved teacher's
    from training.evaluate import predict_keras
    from training.preprocess import prepare

    x, y = data.load(tmp_path / "fer.tar.xz", cache=False).split("PrivateTest")
    acc = float((predict_keras(teacher, prepare(x, models.get("emo-vgg"))).argmax(1) == y).mean())
    assert m["teacher_metrics"]["privatetest_accuracy"] == pytest.approx(acc)
    with open(out / "history.csv") as fh:
        row = next(csv.DictReader(fh))
    assert {"accuracy", "teacher_accuracy", "val_teacher_accuracy"} <= set(row)
    student = keras.saving.load_model(out / "model.keras")
    teacher = keras.saving.load_model(out / "teacher.keras")
    assert student.name == "emo_fast" and teacher.count_params() > 5 * student.count_params()
    with pytest.raises(ValueError, match="not several"):
        train("emo-fast", str(tmp_path / "fer.tar.xz"), str(tmp_path / "x"), teacher="t.keras",
              online_teacher="emo-vgg")


@pytest.mark.slow
def test_soup_averages_weights_and_picks_the_mix_on_validation():
    from training import soup

    keras.utils.set_random_seed(1)
    a, b = models.build("emo-fast"), models.build("emo-fast")
    mixed = soup.mix(a, b, 0.25)
    for wa, wb, wm in zip(a.get_weights(), b.get_weights(), mixed.get_weights()):
        np.testing.assert_allclose(wm, 0.75 * wa + 0.25 * wb, rtol=1e-6, atol=1e-7)
    # validation labels that b predicts perfectly: the grid's best mix is b itself
    x = np.random.default_rng(0).uniform(-1, 1, (64, 48, 48, 1)).astype(np.float32)
    y = b.predict(x, verbose=0).argmax(1)
    lam, scores = soup.select(a, b, x, y, [0.0, 0.5, 1.0])
    assert lam == 1.0 and dict(scores)[1.0] == 1.0 and len(scores) == 3
    # with the mirror average (how the app reads faces) the labels b gives its averaged reading are b's
    averaged = (b.predict(x, verbose=0) + b.predict(x[:, :, ::-1], verbose=0)).argmax(1)
    lam, scores = soup.select(a, b, x, averaged, [0.0, 1.0], flip=True)
    assert lam == 1.0 and dict(scores)[1.0] == 1.0
    with pytest.raises(ValueError, match="architecture"):
        soup.mix(a, models.build("vyas-m2"), 0.5)


@pytest.mark.slow
def test_stored_soft_targets_from_a_teacher_train_a_student(tmp_path):
    from pathlib import Path

    from training.__main__ import main
    from training.train import train

    teacher = Path(__file__).resolve().parent.parent / "models" / "emotion.keras"
    write_tar(tmp_path / "fer.tar.xz", synthetic(4))
    soft = tmp_path / "soft.npy"
    assert main(["soft-targets", "--teacher", str(teacher), "--data", str(tmp_path / "fer.tar.xz"),
                 "--spec", "emo-fast", "--out", str(soft), "--flip"]) == 0
    p = np.load(soft).astype(np.float32)
    assert p.shape == (4 * 7, 7)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, atol=2e-3)
    out = tmp_path / "st"
    m = train("emo-fast", str(tmp_path / "fer.tar.xz"), str(out), epochs=1, batch_size=16, verbose=0,
              soft_targets=str(soft), init=str(teacher), export=False)
    assert m["teacher"].startswith("stored soft targets") and m["weights"].startswith("initialised from")
    with open(out / "history.csv") as fh:
        assert np.isfinite(float(next(csv.DictReader(fh))["loss"]))
    np.save(tmp_path / "bad.npy", p[:5])
    with pytest.raises(ValueError, match="do not fit"):
        train("emo-fast", str(tmp_path / "fer.tar.xz"), str(tmp_path / "bad"), epochs=1, verbose=0,
              soft_targets=str(tmp_path / "bad.npy"), export=False)


def test_no_training_module_imports_its_caller():
    """The modules of training/ form an import graph without cycles (evaluate no longer imports train)."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent / "training"
    graph = {}
    for f in root.glob("*.py"):
        deps = set()
        for node in ast.walk(ast.parse(f.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                deps |= {node.module} if node.module else {a.name for a in node.names}
        graph[f.stem] = {d for d in deps if (root / f"{d}.py").exists()}

    def reaches(start, target, seen=()):
        return any(d == target or (d not in seen and reaches(d, target, (*seen, d))) for d in graph.get(start, ()))

    cycles = [m for m in graph if m != "__main__" and reaches(m, m)]
    assert cycles == [], cycles
    assert "train" not in graph["evaluate"] and "train" not in graph["preprocess"]


def test_widening_keeps_what_the_narrow_network_computes_and_refuses_another_layout():
    from pathlib import Path

    from training.widen import widen_into

    narrow = keras.saving.load_model(Path(__file__).resolve().parent.parent / "models" / "emotion.keras")
    rng = np.random.default_rng(3)
    wide = models.build("emo-wide")
    x = rng.uniform(-1, 1, (16, 48, 48, 1)).astype("float32")
    before = np.asarray(wide(x, training=False))
    grown = widen_into(narrow, wide, noise=0.0)
    assert grown == [(32, 48), (48, 72), (48, 72), (96, 144), (96, 144), (192, 288), (192, 288), (256, 384)]
    expected = np.asarray(narrow(x, training=False))
    got = np.asarray(wide(x, training=False))
    assert np.abs(got - expected).max() < 1e-4 and np.abs(before - expected).max() > 1e-2
    assert models.count_params(wide)[0] > 2 * models.count_params(narrow)[0]
    # the copies' noise moves the outputs a little, not the decisions of a working network
    widen_into(narrow, wide, noise=0.01)
    assert 0 < np.abs(np.asarray(wide(x, training=False)) - expected).max() < 0.05
    with pytest.raises(ValueError, match="do not share a layout"):
        widen_into(models.build("vyas-m2"), wide)
    with pytest.raises(ValueError, match="narrower"):
        widen_into(wide, models.build("emo-wild"))


@pytest.mark.slow
def test_training_from_a_narrower_model_starts_from_its_function(tmp_path):
    from pathlib import Path

    from training.train import train

    narrow = Path(__file__).resolve().parent.parent / "models" / "emotion.keras"
    write_tar(tmp_path / "fer.tar.xz", synthetic(4))
    m = train("emo-wide", str(tmp_path / "fer.tar.xz"), str(tmp_path / "w"), epochs=1, batch_size=16, verbose=0,
              init=str(narrow), export=False, learning_rate=0.0)
    assert m["weights"].startswith(f"widened from {narrow}") and m["params"] > 1_500_000
    # with a zero learning rate the widened network decides as the narrow one it came from
    ds = data.load(tmp_path / "fer.tar.xz", cache=False)
    from training.preprocess import prepare

    x = prepare(ds.split("PrivateTest")[0], models.get("emo-wide"))
    a = keras.saving.load_model(narrow).predict(x, verbose=0)
    b = keras.saving.load_model(tmp_path / "w" / "model.keras").predict(x, verbose=0)
    assert np.abs(a - b).max() < 0.05 and (a.argmax(1) == b.argmax(1)).mean() >= 0.95


def test_calibration_recovers_a_known_temperature_and_cross_validates():
    from training.calibrate import cross_validate, fit, nll

    rng = np.random.default_rng(0)
    logits = rng.normal(0, 2.5, (6000, 7))
    truth = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    labels = np.array([rng.choice(7, p=p) for p in truth])
    soft = np.exp(logits / 2) / np.exp(logits / 2).sum(1, keepdims=True)  # an underconfident model: T = 0.5
    t, b = fit(soft, labels, bias=False)
    assert t == pytest.approx(0.5, abs=0.05) and not b.any()
    cv_t, cv_b = cross_validate(soft, labels, bias=False), cross_validate(soft, labels, bias=True)
    assert cv_t["nll"] < nll(soft, labels) - 0.05  # held-out folds gain from the temperature
    assert cv_t["accuracy"] == pytest.approx((soft.argmax(1) == labels).mean())  # T keeps every top emotion
    assert abs(cv_b["nll"] - cv_t["nll"]) < 0.01  # no class prior to find: the bias buys nothing


def write_votes(path, items, seed=0):
    """A FER+ votes CSV for ``synthetic`` items: ten votes a face, most for the face's own class."""
    from training import ferplus

    fer_col = {"angry": "anger", "disgust": "disgust", "fear": "fear", "happy": "happiness",
               "neutral": "neutral", "sad": "sadness", "surprise": "surprise"}
    rng = np.random.default_rng(seed)
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["member", *ferplus.COLUMNS])
        for usage, label, name, _ in items:
            votes = dict.fromkeys(ferplus.COLUMNS, 0)
            votes[fer_col[label]] = 7
            votes[str(rng.choice(["neutral", "sadness"]))] += 3
            top = "train" if usage == "Training" else "test"
            w.writerow([f"{top}/{label}/{name}", *(votes[c] for c in ferplus.COLUMNS)])


@pytest.mark.slow
def test_pooled_augmentation_makes_the_same_batches_as_in_process():
    from emotion_monitor.crops import stretch_contrast
    from training import augment

    x = (np.random.default_rng(0).random((80, 48, 48, 1)) * 2 - 1).astype(np.float32)
    y = np.arange(80, dtype=np.float32)[:, None]
    plain = augment.AugmentedSequence(x, y, 32, models.WILD_AUG, (-1, 1), seed=3, finish=stretch_contrast)
    pooled = augment.AugmentedSequence(x, y, 32, models.WILD_AUG, (-1, 1), seed=3, finish=stretch_contrast,
                                       processes=2)
    try:
        pooled.epoch = plain.epoch = 4  # as a resumed run sets it: the order is that epoch's
        for _ in range(2):
            for i in range(len(plain)):
                (xa, ya), (xb, yb) = plain[i], pooled[i]
                np.testing.assert_array_equal(ya, yb)
                np.testing.assert_allclose(xa, xb, atol=1e-6)
            plain.on_epoch_end()
            pooled.on_epoch_end()
        assert not np.array_equal(plain[0][1], augment.AugmentedSequence(x, y, 32, (), seed=3)[0][1])
    finally:
        pooled.close()
    assert pooled._pool is None and pooled._shm is None


def test_balanced_sampler_draws_rare_classes_more_often_and_the_same_each_time():
    from training import augment

    classes = np.repeat([0, 1, 2], [800, 150, 50])  # a common, a middling and a rare class
    with pytest.raises(ValueError, match="balance power"):
        augment.balanced_probabilities(classes, 1.5)
    share = {}
    for power in (0.0, 0.5, 1.0):
        p = augment.balanced_probabilities(classes, power)
        assert p.sum() == pytest.approx(1.0)
        share[power] = np.bincount(classes, weights=p)
    np.testing.assert_allclose(share[0.0], [0.8, 0.15, 0.05])  # power 0: the data's own mix
    np.testing.assert_allclose(share[1.0], [1 / 3] * 3)  # power 1: every class equally
    root = np.sqrt([800, 150, 50])
    np.testing.assert_allclose(share[0.5], root / root.sum())  # power 0.5: square-root balancing

    x = np.zeros((1000, 48, 48, 1), np.float32)
    y = np.eye(3, dtype=np.float32)[classes]
    draw = augment.balanced_probabilities(classes, 1.0)
    seq = augment.AugmentedSequence(x, y, 100, (), seed=5, draw=draw)
    drawn = np.concatenate([seq[i][1].argmax(1) for i in range(len(seq))])
    assert len(drawn) == 1000
    assert 250 < (drawn == 2).sum() < 420  # the rare class about a third of the epoch, not 5%
    again = augment.AugmentedSequence(x, y, 100, (), seed=5, draw=draw)
    np.testing.assert_array_equal(again[3][1], seq[3][1])  # a pure function of (seed, epoch)


@pytest.mark.slow
def test_ferplus_votes_mixed_with_every_faces_stored_teachers(tmp_path):
    from training import ferplus
    from training.train import archive_soft_targets, train, training_sets

    items = synthetic(4)
    write_tar(tmp_path / "fer.tar.xz", items)
    write_votes(tmp_path / "votes.csv", items)
    ds = data.load(tmp_path / "fer.tar.xz", cache=False)
    rng = np.random.default_rng(1)
    t = rng.random((2, 2, len(ds), 7)).astype(np.float16)
    np.savez(tmp_path / "teachers.npz", t_a=t[0], t_b=t[1], usage=ds.usage)
    soft = archive_soft_targets(tmp_path / "teachers.npz", n_faces=len(ds))
    expect = t.astype(np.float32).mean((0, 1))
    np.testing.assert_allclose(soft, expect / expect.sum(1, keepdims=True), rtol=1e-5)
    only_a = archive_soft_targets(tmp_path / "teachers.npz", ["a"])
    assert not np.allclose(only_a, soft)
    with pytest.raises(ValueError, match="no teacher c"):
        archive_soft_targets(tmp_path / "teachers.npz", ["c"])
    with pytest.raises(ValueError, match="another dataset"):
        archive_soft_targets(tmp_path / "teachers.npz", n_faces=len(ds) + 1)

    spec = models.get("emo-wild")
    sets = training_sets(ds, spec, spec.recipe, 0, None, str(tmp_path / "votes.csv"), 0.0,
                         str(tmp_path / "teachers.npz"))
    votes, _ = ferplus.soft_labels(ds, ferplus.load_votes(tmp_path / "votes.csv", ds), 0.0)
    tr = ds.usage == 0
    np.testing.assert_allclose(sets["Ytr"][:, :7], votes[tr])  # the votes first, the teachers after
    np.testing.assert_allclose(sets["Ytr"][:, 7:], soft[tr], rtol=1e-5)
    m = train("emo-wild", str(tmp_path / "fer.tar.xz"), str(tmp_path / "kd"), epochs=1, batch_size=16, verbose=0,
              ferplus=str(tmp_path / "votes.csv"), soft_targets=str(tmp_path / "teachers.npz"), kd_alpha=0.5,
              kd_temperature=1.0, export=False)
    assert m["teacher"].startswith("stored soft targets") and m["selected_on"] == "val_loss"
    assert m["labels"].startswith("FER+ votes") and m["kd"]["alpha"] == 0.5 and m["balance"] == 0.0
    m = train("emo-wild", str(tmp_path / "fer.tar.xz"), str(tmp_path / "kd-bal"), epochs=1, batch_size=16,
              verbose=0, ferplus=str(tmp_path / "votes.csv"), soft_targets=str(tmp_path / "teachers.npz"),
              kd_alpha=0.5, kd_temperature=1.0, balance=0.5, export=False)
    assert m["balance"] == 0.5 and m["teacher"].startswith("stored soft targets")


def test_cohort_loss_is_each_members_own_loss():
    from training.cohort import CohortLoss

    rng = np.random.default_rng(0)
    y, t, s = (rng.dirichlet(np.ones(7), 5).astype(np.float32) for _ in range(3))
    members = [{"role": "teacher", "alpha": 0.0, "temperature": 1.0, "class_weight": None},
               {"role": "student", "alpha": 0.5, "temperature": 1.0, "class_weight": [2.0] * 7}]
    got = np.asarray(CohortLoss(members, reduction=None)(y, np.concatenate([t, s], 1)))
    ce = lambda a, b: -(a * np.log(b)).sum(1)  # noqa: E731
    kl = (t * (np.log(t) - np.log(s))).sum(1)
    np.testing.assert_allclose(got, ce(y, t) + 2.0 * (0.5 * ce(y, s) + 0.5 * kl), rtol=1e-4)


@pytest.mark.slow
def test_a_cohort_trains_and_writes_every_faces_probabilities(tmp_path):
    from training.cohort import Member, train_cohort

    items = synthetic(4)
    write_tar(tmp_path / "fer.tar.xz", items)
    write_votes(tmp_path / "votes.csv", items)
    members = [Member("t-a", "emo-wild", "teacher", seed=1), Member("s-a", "emo-wild", "student", seed=2, alpha=0.7)]
    summary = train_cohort(members, str(tmp_path / "fer.tar.xz"), str(tmp_path / "votes.csv"), str(tmp_path / "c"),
                           epochs=2, batch_size=16, verbose=0)
    n = len(items)
    with np.load(tmp_path / "c" / "probabilities.npz") as z:
        assert set(z.files) == {"usage", "t_t_a", "t_s_a"} and z["usage"].shape == (n,)
        for k in ("t_t_a", "t_s_a"):
            assert z[k].shape == (2, n, 7) and z[k].dtype == np.float16
            np.testing.assert_allclose(z[k].astype(np.float32).sum(-1), 1.0, atol=5e-3)
            assert not np.allclose(z[k][0], z[k][1])  # the mirror view is predicted, not copied
    assert summary["epochs_trained"] == 2 and set(summary["selected"]) == {"t-a", "s-a"}
    assert (tmp_path / "c" / "s-a.keras").exists() and not (tmp_path / "c" / "t-a.keras").exists()
    rows = [json.loads(line) for line in (tmp_path / "c" / "epochs.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in rows] == [0, 1] and "ce" in rows[0]["s-a"]
    with pytest.raises(ValueError, match="need at least one teacher"):
        train_cohort(members[1:], str(tmp_path / "fer.tar.xz"), str(tmp_path / "votes.csv"), str(tmp_path / "d"))
