"""Every model of the seed reports, built exactly, plus the model that ships with the app.

Keras 3 API only (no ``tf.*``), so the same code trains on TensorFlow here and on JAX on a lent GPU.
Parameter counts are checked by tests against the figures the reports print.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import keras
from keras import layers


@dataclass(frozen=True)
class Recipe:
    """How a report trained its model; ``python -m training train`` uses these as defaults."""

    optimizer: str = "adam"
    learning_rate: float = 1e-3
    epochs: int = 10
    batch_size: int = 32
    loss: str = "categorical_crossentropy"  # or sparse_categorical_crossentropy / binary_crossentropy
    augment: tuple[str, ...] = ()
    label_smoothing: float = 0.0
    weight_decay: float = 0.0
    schedule: str = "constant"  # or "cosine" (with warm-up)
    early_stopping: int = 0  # patience in epochs on val_loss; 0 = off
    fine_tune_epochs: int = 0  # second phase with the base unfrozen (transfer models)
    fine_tune_optimizer: str = "sgd"
    fine_tune_learning_rate: float = 1e-3
    offline_augment: tuple[str, ...] = ()  # copies added once before training (teuchert)


@dataclass(frozen=True)
class Task:
    """What data a model is trained on: FER2013 itself or a stated stand-in built from it."""

    classes: tuple[str, ...] | None = None  # subset of FER2013 labels in output order; None = all 7
    n_outputs: int = 7
    max_per_class: int | None = None  # cap per class and split, to keep big inputs in memory
    note: str = "FER2013, 7 classes"


@dataclass(frozen=True)
class ModelSpec:
    name: str
    build: Callable[..., keras.Model]
    input_shape: tuple[int, int, int]
    recipe: Recipe
    task: Task = field(default_factory=Task)
    report: str = ""
    reported: str = ""
    reported_params: int | None = None
    reported_trainable: int | None = None
    input_scale: float = 1.0 / 255.0
    input_offset: float = 0.0
    photometric: str = "none"  # or "stretch": per-face contrast stretch (emotion_monitor.crops.stretch_contrast)


def _seq(name, input_shape, body):
    return keras.Sequential([keras.Input(input_shape), *body], name=name)


def vyas_m1(input_shape=(48, 48, 1), n=7):
    return _seq("vyas_m1", input_shape, [
        layers.Conv2D(64, 3, padding="same", activation="relu"), layers.MaxPooling2D(),
        layers.Conv2D(128, 5, padding="same", activation="relu"), layers.MaxPooling2D(),
        layers.Conv2D(512, 3, padding="same", activation="relu"), layers.MaxPooling2D(),
        layers.Conv2D(512, 3, padding="same", activation="relu"), layers.MaxPooling2D(),
        layers.Flatten(),
        layers.Dense(256, activation="relu"), layers.Dropout(0.25),
        layers.Dense(512, activation="relu"), layers.Dropout(0.25),
        layers.Dense(n, activation="softmax", dtype="float32"),
    ])


def vyas_m2(input_shape=(48, 48, 1), n=7):
    return _seq("vyas_m2", input_shape, [
        layers.Conv2D(32, 3, activation="relu"), layers.Conv2D(32, 3, activation="relu"),
        layers.MaxPooling2D(), layers.Dropout(0.25),
        layers.Conv2D(64, 3, activation="relu"), layers.Conv2D(64, 3, activation="relu"),
        layers.MaxPooling2D(), layers.Dropout(0.25),
        layers.Conv2D(128, 3, activation="relu"), layers.MaxPooling2D(), layers.Dropout(0.25),
        layers.Flatten(),
        layers.Dense(256, activation="relu"), layers.Dropout(0.5),
        layers.Dense(n, activation="softmax", dtype="float32"),
    ])


def vyas_img_a(input_shape=(224, 224, 3), n=3):
    return _seq("vyas_img_a", input_shape, [
        layers.Conv2D(32, 3, activation="relu"), layers.MaxPooling2D(),
        layers.Conv2D(64, 3, activation="relu"), layers.MaxPooling2D(),
        layers.Conv2D(128, 3, activation="relu"), layers.MaxPooling2D(),
        layers.Conv2D(256, 3, activation="relu"), layers.MaxPooling2D(),
        layers.Flatten(),
        layers.Dense(128, activation="relu"), layers.Dropout(0.5),
        layers.Dense(n, activation="softmax", dtype="float32"),
    ])


def vyas_img_b(input_shape=(28, 28, 1), n=3):
    return _seq("vyas_img_b", input_shape, [
        layers.Conv2D(32, 3, activation="relu"), layers.MaxPooling2D(),
        layers.Conv2D(64, 3, activation="relu"), layers.MaxPooling2D(),
        layers.Conv2D(64, 3, activation="relu"),
        layers.Flatten(),
        layers.Dense(64, activation="relu"),
        layers.Dense(n, activation="softmax", dtype="float32"),
    ])


def stanley(input_shape=(256, 256, 3), n=1):
    return _seq("stanley", input_shape, [
        layers.Conv2D(16, 3, strides=1, activation="relu"), layers.MaxPooling2D(),
        layers.Conv2D(32, 3, strides=1, activation="relu"), layers.MaxPooling2D(),
        layers.Conv2D(16, 3, strides=1, activation="relu"), layers.MaxPooling2D(),
        layers.Flatten(),
        layers.Dense(256, activation="relu"),
        layers.Dense(n, activation="sigmoid", dtype="float32"),
    ])


def teuchert_cnn(input_shape=(48, 48, 1), n=7):
    return _seq("teuchert_cnn", input_shape, [
        layers.Conv2D(32, 3, padding="same", activation="relu"),
        layers.Conv2D(64, 3, padding="same", activation="relu"),
        layers.BatchNormalization(), layers.MaxPooling2D(), layers.Dropout(0.25),
        layers.Conv2D(128, 3, padding="same", activation="relu"),
        layers.Conv2D(256, 3, padding="same", activation="relu"),
        layers.BatchNormalization(), layers.MaxPooling2D(), layers.Dropout(0.25),
        layers.Conv2D(256, 3, padding="same", activation="relu"),
        layers.BatchNormalization(), layers.MaxPooling2D(), layers.Dropout(0.25),
        layers.Flatten(),
        layers.Dense(100, activation="relu"),
        layers.Dense(50, activation="relu"),
        layers.Dense(225, activation="relu"),
        layers.BatchNormalization(), layers.Dropout(0.25),
        layers.Dense(n, activation="softmax", dtype="float32"),
    ])


def _transfer(name, base_fn, input_shape, n, head, weights):
    """A keras.applications base (frozen) with a head. ``weights``: a local file or None.

    ImageNet weights are never downloaded: without a local file the base starts from scratch.
    """
    base = base_fn(include_top=False, weights=None, input_shape=input_shape)
    if weights:
        base.load_weights(weights)
    base.trainable = False
    inputs = keras.Input(input_shape)
    x = base(inputs, training=False)
    for layer in head:
        x = layer(x)
    outputs = layers.Dense(n, activation="softmax", dtype="float32", name="classification")(x)
    return keras.Model(inputs, outputs, name=name)


def teuchert_mnv2(input_shape=(48, 48, 3), n=7, weights=None):
    # The report shows no code for its head; the usual "simple" transfer head is used:
    # global average pooling and the softmax classifier.
    return _transfer("teuchert_mnv2", keras.applications.MobileNetV2, input_shape, n,
                     [layers.GlobalAveragePooling2D()], weights)


def ashutosh(input_shape=(28, 28, 3), n=10):
    return _seq("ashutosh", input_shape, [
        layers.Conv2D(32, 3, activation="relu"), layers.MaxPooling2D(),
        layers.Conv2D(64, 3, activation="relu"), layers.MaxPooling2D(),
        layers.Conv2D(128, 3, activation="relu"), layers.MaxPooling2D(),
        layers.Flatten(),
        layers.Dense(128, activation="relu"),
        layers.Dense(64, activation="relu"),
        layers.Dense(32, activation="relu"),
        layers.Dense(n, activation="softmax", dtype="float32"),
    ])


def tamrakar(input_shape=(48, 48, 3), n=7, weights=None):
    # Dropout rates are not printed in the report; 0.3 is used. They hold no parameters.
    return _transfer("tamrakar", keras.applications.DenseNet169, input_shape, n, [
        layers.GlobalAveragePooling2D(),
        layers.Dense(256, activation="relu"), layers.Dropout(0.3),
        layers.Dense(1024, activation="relu"), layers.Dropout(0.3),
        layers.Dense(512, activation="relu"), layers.Dropout(0.3),
    ], weights)


def emo_vgg(input_shape=(48, 48, 1), n=7, widths=(64, 128, 256, 512), convs=(2, 2, 3, 3),
            head=512, dropout=0.4, name="emo_vgg"):
    """The shipped model: a VGG-style net for 48x48 faces.

    Four stages of 3x3 conv + batch norm + ReLU, max-pooled, then global pooling and a small head.
    Chosen because VGG variants trained with heavy augmentation and SGD are the strongest single
    networks published on FER2013 at this size, and the net quantizes well to int8 for LiteRT.
    """
    inputs = keras.Input(input_shape)
    x = inputs
    for width, n_conv in zip(widths, convs):
        for _ in range(n_conv):
            x = layers.Conv2D(width, 3, padding="same", use_bias=False)(x)
            x = layers.BatchNormalization()(x)
            x = layers.ReLU()(x)
        x = layers.MaxPooling2D()(x)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dropout(dropout)(x)
    x = layers.Dense(head, use_bias=False)(x)
    x = layers.BatchNormalization()(x)
    x = layers.ReLU()(x)
    x = layers.Dropout(dropout)(x)
    outputs = layers.Dense(n, activation="softmax", dtype="float32")(x)
    return keras.Model(inputs, outputs, name=name)


def emo_fast(input_shape=(48, 48, 1), n=7, name="emo_fast"):
    """The shipped student: the same VGG pattern cut to ~57M multiply-adds a face (0.71M params), so six
    faces classify in about 5 ms on two laptop cores with LiteRT. Trained by distillation from emo-vgg."""
    return emo_vgg(input_shape, n, widths=(32, 48, 96, 192), convs=(1, 2, 2, 2), head=256, dropout=0.3,
                   name=name)


def emo_wild(input_shape=(48, 48, 1), n=7):
    """emo-fast's network for camera footage: trained on FER+ vote distributions with camera
    augmentations, on contrast-stretched faces (its spec's ``photometric``)."""
    return emo_fast(input_shape, n, name="emo_wild")


def emo_wide(input_shape=(48, 48, 1), n=7):
    """emo-wild's network at 1.5x the width (48-72-144-288, head 384): 2.25x the multiply-adds
    (~127 M a face, 1.6 M parameters), grown from emo-wild's trained weights (``training/widen.py``)."""
    return emo_vgg(input_shape, n, widths=(48, 72, 144, 288), convs=(1, 2, 2, 2), head=384, dropout=0.3,
                   name="emo_wide")


FER_AUG = ("flip", "rotate", "zoom", "shift", "erase")
WILD_AUG = FER_AUG + ("camera",)

REGISTRY: dict[str, ModelSpec] = {s.name: s for s in [
    ModelSpec("vyas-m1", vyas_m1, (48, 48, 1), Recipe(epochs=5, batch_size=32),
              report="000", reported="49% accuracy", reported_params=4_470_791),
    ModelSpec("vyas-m2", vyas_m2, (48, 48, 1), Recipe(epochs=10, batch_size=32),
              report="000", reported="56.7% test accuracy", reported_params=435_815),
    ModelSpec("vyas-img-a", vyas_img_a, (224, 224, 3),
              Recipe(epochs=5, batch_size=32, augment=("shear", "zoom", "flip")),
              task=Task(("happy", "sad", "surprise"), 3, max_per_class=1000,
                        note="stand-in: FER2013 happy/sad/surprise (<=1000 per class and split), "
                             "resized to 224x224 RGB; the report's 3-class photos are private"),
              report="000", reported="about 31% (private 3-class photos)", reported_params=5_107_523),
    ModelSpec("vyas-img-b", vyas_img_b, (28, 28, 1), Recipe(epochs=10, batch_size=32),
              task=Task(("happy", "sad", "surprise"), 3,
                        note="stand-in: FER2013 happy/sad/surprise resized to 28x28; "
                             "the report's 3-class photos are private"),
              report="000", reported="about 99% (private 3-class photos)", reported_params=92_867),
    ModelSpec("stanley", stanley, (256, 256, 3),
              Recipe(epochs=20, batch_size=32, loss="binary_crossentropy"),
              task=Task(("happy", "sad"), 1, max_per_class=500,
                        note="stand-in: FER2013 happy vs sad (<=500 per class and split) at "
                             "256x256 RGB; the report's 137 photos are private"),
              report="001", reported="precision 1.0, recall 1.0, accuracy 1.0 on its test batch (137 photos)"),
    ModelSpec("teuchert-cnn", teuchert_cnn, (48, 48, 1),
              Recipe(epochs=30, batch_size=32, loss="sparse_categorical_crossentropy",
                     early_stopping=5, offline_augment=("rotate45", "rotate75", "blur10")),
              report="002", reported="56% (1st model), 58% (3rd) validation; conclusion claims 75%"),
    ModelSpec("teuchert-mnv2", teuchert_mnv2, (48, 48, 3),
              Recipe(epochs=1, batch_size=32, loss="sparse_categorical_crossentropy",
                     offline_augment=("rotate45", "rotate75", "blur10")),
              report="002", reported="44.8% validation after 1 epoch; conclusion claims 97%"),
    ModelSpec("ashutosh", ashutosh, (28, 28, 3),
              Recipe(epochs=16, batch_size=32, loss="sparse_categorical_crossentropy"),
              task=Task(None, 10, note="stand-in: FER2013's 7 classes at 28x28 RGB in the 10-way "
                                       "head (3 outputs unused); the report's 10-class images are not available"),
              report="003", reported="71.5% (313 test images, 10 classes)"),
    ModelSpec("tamrakar", tamrakar, (48, 48, 3),
              Recipe(optimizer="adam", learning_rate=1e-4, epochs=30, batch_size=64,
                     early_stopping=3, fine_tune_epochs=20, fine_tune_optimizer="sgd",
                     fine_tune_learning_rate=1e-3),
              report="004", reported="65% test (7,178 images)", reported_params=13_860_679,
              reported_trainable=1_217_799),
    ModelSpec("emo-vgg", emo_vgg, (48, 48, 1),
              Recipe(optimizer="sgd", learning_rate=0.05, epochs=120, batch_size=128,
                     augment=FER_AUG, label_smoothing=0.1, weight_decay=5e-4, schedule="cosine"),
              report="ours", reported="teacher of the shipped model", input_scale=1.0 / 127.5, input_offset=-1.0),
    ModelSpec("emo-fast", emo_fast, (48, 48, 1),
              Recipe(optimizer="sgd", learning_rate=0.05, epochs=150, batch_size=128,
                     augment=FER_AUG, label_smoothing=0.0, weight_decay=5e-4, schedule="cosine"),
              report="ours", reported="shipped model (distilled from emo-vgg)", input_scale=1.0 / 127.5,
              input_offset=-1.0),
    ModelSpec("emo-wild", emo_wild, (48, 48, 1),
              Recipe(optimizer="sgd", learning_rate=0.01, epochs=30, batch_size=128,
                     augment=WILD_AUG, weight_decay=5e-4, schedule="cosine"),
              report="ours", reported="shipped model: emo-fast fine-tuned on FER+ votes for camera footage",
              input_scale=1.0 / 127.5, input_offset=-1.0, photometric="stretch"),
    ModelSpec("emo-wide", emo_wide, (48, 48, 1),
              Recipe(optimizer="sgd", learning_rate=0.005, epochs=30, batch_size=128,
                     augment=WILD_AUG, weight_decay=5e-4, schedule="cosine"),
              report="ours", reported="emo-wild widened 1.5x (Net2WiderNet) and fine-tuned on FER+ votes",
              input_scale=1.0 / 127.5, input_offset=-1.0, photometric="stretch"),
]}

SEED_MODELS = [n for n, s in REGISTRY.items() if s.report != "ours"]


def get(name: str) -> ModelSpec:
    try:
        return REGISTRY[name]
    except KeyError:
        raise ValueError(f"unknown model {name!r}; choose one of {', '.join(REGISTRY)}") from None


def photometric(spec: ModelSpec):
    """The spec's photometric normalisation as a function of gray levels 0..255, or None."""
    if spec.photometric == "none":
        return None
    if spec.photometric == "stretch":
        from emotion_monitor.crops import stretch_contrast

        return stretch_contrast
    raise ValueError(f"{spec.name}: unknown photometric normalisation {spec.photometric!r}")


def build(name: str, weights: str | None = None) -> keras.Model:
    spec = get(name)
    kwargs = {"input_shape": spec.input_shape, "n": spec.task.n_outputs}
    if spec.build in (teuchert_mnv2, tamrakar):
        kwargs["weights"] = weights
    return spec.build(**kwargs)


def count_params(model: keras.Model) -> tuple[int, int]:
    total = sum(_size(v) for v in model.weights)
    trainable = sum(_size(v) for v in model.trainable_weights)
    return total, trainable


def _size(v) -> int:
    n = 1
    for d in v.shape:
        n *= int(d)
    return n
