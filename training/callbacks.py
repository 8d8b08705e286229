"""Training callbacks: the learning-rate schedule with an optional wall-time budget, and checkpoints
that make every run resumable."""

from __future__ import annotations

import json
import math
import os
import time
from pathlib import Path

import keras

CKPT = "checkpoint.keras"
STATE = "state.json"


class Schedule(keras.callbacks.Callback):
    """Per-epoch learning rate (linear warm-up then cosine) and an optional wall-time budget.

    With ``time_budget`` the number of epochs is fixed after the first timed epoch so the cosine
    reaches zero when the budget runs out; the planned count is written to state.json, so
    ``--epochs N`` with that N replays the same schedule on any machine.
    """

    def __init__(self, base_lr, epochs, kind="cosine", warmup=2, time_budget=None, state=None):
        super().__init__()
        self.base_lr, self.epochs, self.kind, self.warmup = base_lr, epochs, kind, warmup
        self.time_budget = time_budget
        self.state = state if state is not None else {}
        self.t0 = None
        self.epoch_start = None

    def lr_at(self, epoch):
        if self.kind != "cosine":
            return self.base_lr
        if epoch < self.warmup:
            return self.base_lr * (epoch + 1) / (self.warmup + 1)
        span = max(1, self.epochs - self.warmup)
        return 0.5 * self.base_lr * (1 + math.cos(math.pi * min(1.0, (epoch - self.warmup) / span)))

    def on_train_begin(self, logs=None):
        self.t0 = time.monotonic() - self.state.get("elapsed", 0.0)

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch_start = time.monotonic()
        self.model.optimizer.learning_rate = self.lr_at(epoch)

    def on_epoch_end(self, epoch, logs=None):
        now = time.monotonic()
        if logs is not None:
            logs["lr"] = float(self.lr_at(epoch))
        self.state["elapsed"] = now - self.t0
        if self.time_budget and not self.state.get("planned"):
            # epoch 0 carries compilation; plan from the second epoch's time
            if epoch >= 1:
                per_epoch = now - self.epoch_start
                left = self.time_budget - (now - self.t0)
                self.epochs = max(epoch + 1, min(self.epochs, epoch + 1 + int(left // per_epoch)))
                self.state["planned"] = self.epochs
                print(f"time budget: {per_epoch:.1f} s/epoch, planning {self.epochs} epochs", flush=True)
        if epoch + 1 >= self.epochs:
            self.model.stop_training = True


class Checkpoint(keras.callbacks.Callback):
    """Saves the training model (weights + optimizer) each epoch and the best core model on val
    (highest ``monitor``, or lowest when it is a loss)."""

    def __init__(self, out: Path, core: keras.Model, state: dict, monitor="val_accuracy", every=60.0):
        super().__init__()
        self.out, self.core, self.state, self.monitor = out, core, state, monitor
        self.sign = -1.0 if monitor.endswith("loss") else 1.0
        self.every, self.last_save = every, time.monotonic()

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        val = logs.get(self.monitor)
        # a run resumed under another criterion (older states name none: they kept the accuracy) starts afresh
        best = self.state.get("best") if self.state.get("monitor", "val_accuracy") == self.monitor else None
        if val is not None and (best is None or self.sign * val > self.sign * best):
            self.state["best"], self.state["best_epoch"] = float(val), epoch
            self.state["monitor"] = self.monitor
            self.core.save(self.out / "best.keras")
        self.state["epoch"] = epoch + 1
        now = time.monotonic()
        # A full checkpoint (weights + optimizer state) is ~4x the model; on a fast machine an epoch
        # takes seconds, so write it at most every `every` seconds and at the end of training.
        if now - self.last_save >= self.every or self.model.stop_training:
            self.save()
            self.last_save = now

    def on_train_end(self, logs=None):
        self.save()

    def save(self):
        tmp = self.out / ("tmp-" + CKPT)
        self.model.save(tmp)
        os.replace(tmp, self.out / CKPT)
        (self.out / STATE).write_text(json.dumps(self.state, indent=1))
