"""Emotion classifier: LiteRT on models/emotion.tflite, described by models/emotion.json.

All faces of a frame go through the interpreter as one batch.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from .crops import stretch_contrast
from .errors import ModelError
from .resources import bundled
from .types import LABELS

DEFAULT_MODEL = bundled("models", "emotion.tflite")
REQUIRED_KEYS = ("labels", "input_size", "channels", "input_scale", "input_offset")


@runtime_checkable
class EmotionModel(Protocol):
    """What the pipeline asks of a classifier: ``size`` (the crops' side), ``name``, and a call from
    uint8 gray crops (N, size, size) to probabilities (N, 7) in LABELS order, rows summing to 1."""

    size: int
    name: str

    def __call__(self, crops: np.ndarray) -> np.ndarray: ...


def calibrate(probs: np.ndarray, temperature: float = 1.0, bias: Sequence[float] | np.ndarray | None = None) -> np.ndarray:
    """``softmax(log p / temperature + bias)``: the model's calibration (training/calibrate.py), rows sum to 1."""
    if temperature == 1.0 and bias is None:
        return probs
    z = np.log(np.clip(probs, 1e-6, 1.0)) / np.float32(temperature)
    if bias is not None:
        z = z + np.asarray(bias, np.float32)
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return np.asarray(e / e.sum(axis=1, keepdims=True), np.float32)


def load_metadata(model_path: Path) -> dict[str, Any]:
    meta_path = model_path.with_suffix(".json")
    if not meta_path.is_file():
        raise ModelError(f"model metadata not found: {meta_path}")
    try:
        meta: dict[str, Any] = json.loads(meta_path.read_text())
    except (OSError, ValueError) as exc:
        raise ModelError(f"cannot read model metadata {meta_path}: {exc}") from exc
    missing = [k for k in REQUIRED_KEYS if k not in meta]
    if missing:
        raise ModelError(f"model metadata {meta_path} lacks {', '.join(missing)}")
    if list(meta["labels"]) != list(LABELS):
        raise ModelError(f"model labels {meta['labels']} differ from the app's {list(LABELS)}")
    return meta


class EmotionClassifier:
    """Callable: uint8 gray crops (N, S, S) -> float32 probabilities (N, 7), rows summing to 1."""

    def __init__(self, model_path: str | Path = DEFAULT_MODEL, threads: int = 2, flip_average: bool = False):
        self.path = Path(model_path)
        self.flip_average = flip_average
        if not self.path.is_file():
            raise ModelError(f"emotion model not found: {self.path}")
        self.meta = load_metadata(self.path)
        self.size = int(self.meta["input_size"])
        self.channels = int(self.meta["channels"])
        self.scale = np.float32(self.meta["input_scale"])
        self.offset = np.float32(self.meta["input_offset"])
        self.photometric = self.meta.get("photometric", "none")
        cal = self.meta.get("calibration") or {}
        self.temperature = float(cal.get("temperature", 1.0))
        self.bias = np.asarray(cal["bias"], np.float32) if "bias" in cal else None
        if self.photometric not in ("none", "stretch"):
            raise ModelError(f"model metadata {self.path.with_suffix('.json')}: unknown photometric "
                             f"normalisation {self.photometric!r}")
        try:
            from ai_edge_litert.interpreter import Interpreter

            from .native import quiet_native_stderr

            with quiet_native_stderr():  # LiteRT logs its delegate set-up
                self._interp = Interpreter(model_path=str(self.path), num_threads=threads)
                self._in = self._interp.get_input_details()[0]
                self._out = self._interp.get_output_details()[0]
                self._interp.allocate_tensors()
                self._interp.invoke()
        except Exception as exc:  # LiteRT raises ValueError/RuntimeError for a corrupt flatbuffer
            raise ModelError(f"cannot load emotion model {self.path}: {str(exc).splitlines()[0]}") from exc
        shape = list(self._in["shape"])
        if len(shape) != 4 or shape[1:] != [self.size, self.size, self.channels]:
            raise ModelError(f"emotion model {self.path} takes input {shape}, metadata says "
                             f"{self.size}x{self.size}x{self.channels}")
        if int(self._out["shape"][-1]) != len(LABELS):
            raise ModelError(f"emotion model {self.path} has {self._out['shape'][-1]} outputs, expected {len(LABELS)}")
        self._batch = int(shape[0])
        # the trained model's name (the window's status bar, the run line); "model" is its architecture
        self.name = str(self.meta.get("name") or self.meta.get("model") or self.path.stem)

    def __call__(self, crops: np.ndarray) -> np.ndarray:
        crops = np.asarray(crops)
        n = len(crops)
        if n == 0:
            return np.zeros((0, len(LABELS)), np.float32)
        if crops.shape[1:3] != (self.size, self.size):
            raise ValueError(f"crops must be {self.size}x{self.size}, got {crops.shape[1:3]}")
        if self.flip_average:  # each face and its mirror image in one batch, averaged
            crops = np.concatenate([crops, crops[:, :, ::-1]])
            n = len(crops)
        x = stretch_contrast(crops) if self.photometric == "stretch" else crops.astype(np.float32)
        x = x.reshape(n, self.size, self.size, 1) * self.scale + self.offset
        if self.channels != 1:
            x = np.repeat(x, self.channels, axis=-1)
        if n != self._batch:
            self._interp.resize_tensor_input(self._in["index"], [n, self.size, self.size, self.channels])
            self._interp.allocate_tensors()
            self._batch = n
        self._interp.set_tensor(self._in["index"], x)
        self._interp.invoke()
        p = np.array(self._interp.get_tensor(self._out["index"]), np.float32)
        # int8 outputs are quantized: renormalize so every row is a distribution again
        p = np.clip(p, 0, None)
        p = p / np.maximum(p.sum(axis=1, keepdims=True), 1e-12)
        if self.flip_average:
            p = (p[: n // 2] + p[n // 2:]) / 2
        return calibrate(p, self.temperature, self.bias)

    def close(self) -> None:
        from .native import quiet_native_stderr

        with quiet_native_stderr():  # LiteRT logs its teardown
            self._interp = None
