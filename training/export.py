"""Export a Keras model to a LiteRT ``.tflite`` with the app's ``emotion.json`` metadata.

Needs TensorFlow (the ``[train]`` extra): the converter lives there. Post-training int8
quantization (weights and activations, float input and output) uses a representative sample
of training faces.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import numpy as np


def export_tflite(model, out: Path, spec, labels, quantize: str | None = None, representative=None,
                  metrics: dict | None = None) -> dict:
    """Write ``out`` (.tflite) and ``out`` with .json; returns the metadata written.

    quantize: None (float32) or "int8" (needs ``representative``: float inputs, already scaled).
    """
    import keras
    import tensorflow as tf

    from . import models

    out = Path(out)
    h, w, c = spec.input_shape
    # Export a float32 twin: a model trained under a mixed-precision policy would otherwise carry
    # bf16/f16 casts into the .tflite graph.
    policy = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy("float32")
    try:
        twin = models.build(spec.name)
        twin.set_weights(model.get_weights())
    finally:
        keras.mixed_precision.set_global_policy(policy)
    model = twin
    with tempfile.TemporaryDirectory() as tmp:
        model.export(tmp, format="tf_saved_model", verbose=False,
                     input_signature=[tf.TensorSpec([None, h, w, c], tf.float32)])
        conv = tf.lite.TFLiteConverter.from_saved_model(tmp)
        if quantize == "int8":
            if representative is None:
                raise ValueError("int8 quantization needs a representative sample")
            rep = np.asarray(representative, np.float32)

            def gen():
                for i in range(0, len(rep), 32):
                    yield [rep[i:i + 32]]

            conv.optimizations = [tf.lite.Optimize.DEFAULT]
            conv.representative_dataset = gen
            conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        elif quantize:
            raise ValueError(f"unknown quantization {quantize!r}")
        blob = conv.convert()
    tmp_out = out.with_suffix(".tflite.tmp")
    tmp_out.write_bytes(blob)
    tmp_out.replace(out)
    meta = {
        "model": spec.name,
        "labels": list(labels),
        "input_size": h,
        "channels": c,
        "input_scale": spec.input_scale,
        "input_offset": spec.input_offset,
        "photometric": spec.photometric,
        "quantization": quantize or "float32",
    }
    if metrics:
        meta.update(metrics)
    out.with_suffix(".json").write_text(json.dumps(meta, indent=1) + "\n")
    return meta
