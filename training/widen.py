"""Start a wider network from a trained narrower one of the same layout, keeping what it computes.

Net2WiderNet (Chen, Goodfellow and Shlens, "Net2Net", ICLR 2016): each new unit of a widened layer
copies a randomly chosen old unit (its kernel column and batch-norm parameters), and the next layer's
weights from every copy of a unit are divided by that unit's number of copies, so the wider network
computes the same function (batch statistics of copied channels are identical, so this holds in training
and inference alike). A little noise on the copies' incoming weights lets them drift apart.

Written here because Keras has no such transfer; it walks the two models' Conv2D / Dense /
BatchNormalization layers in order, so it fits the VGG-pattern networks of ``models.py`` (``emo_vgg``,
``emo_fast``, ``emo_wide``), where every weighted layer feeds the next one directly (through ReLU,
pooling or global pooling, all channel-wise).
"""

from __future__ import annotations

import numpy as np

WEIGHTED = ("Conv2D", "Dense", "BatchNormalization")


def _weighted_layers(model) -> list:
    return [layer for layer in model.layers if type(layer).__name__ in WEIGHTED]


def widen_into(small, big, noise: float = 0.01, seed: int = 0) -> list[tuple[int, int]]:
    """Set ``big``'s weights from ``small``'s (same layer sequence, each layer at least as wide).

    Returns (old width, new width) of each layer that grew, in order. Raises ValueError when the
    two models do not have the same sequence of weighted layers or a layer would shrink."""
    rng = np.random.default_rng(seed)
    a, b = _weighted_layers(small), _weighted_layers(big)
    if [type(x).__name__ for x in a] != [type(x).__name__ for x in b]:
        raise ValueError(f"{small.name} and {big.name} do not share a layout: cannot widen one into the other")
    in_map: np.ndarray | None = None  # for each input channel of the current layer: its old channel
    grown = []
    for old, new in zip(a, b):
        kind = type(old).__name__
        weights = [np.asarray(w) for w in old.get_weights()]
        if kind == "BatchNormalization":  # follows its conv/dense: same channel map as that layer's output
            new.set_weights([w[in_map] for w in weights])
            continue
        kernel = weights[0]
        n_in, n_out = new.get_weights()[0].shape[-2:]
        old_in, old_out = kernel.shape[-2:]
        if n_in < old_in or n_out < old_out:
            raise ValueError(f"{new.name}: {n_in}x{n_out} is narrower than {old_in}x{old_out}")
        rows = in_map if in_map is not None else np.arange(old_in)
        if len(rows) != n_in:
            raise ValueError(f"{new.name}: {n_in} inputs, but the layer before gives {len(rows)}")
        counts = np.bincount(rows, minlength=old_in).astype(kernel.dtype)
        out_map = np.concatenate([np.arange(old_out), rng.integers(0, old_out, n_out - old_out)])
        widened = kernel[..., rows, :][..., out_map] / counts[rows][:, None]
        copies = np.arange(n_out) >= old_out
        if copies.any() and noise:
            scale = noise * float(kernel.std())
            widened[..., copies] += rng.normal(0.0, scale, widened[..., copies].shape).astype(kernel.dtype)
        new_weights = [widened] + [w[out_map] for w in weights[1:]]  # the bias, if any
        new.set_weights(new_weights)
        if n_out > old_out:
            grown.append((int(old_out), int(n_out)))
        in_map = out_map
    return grown
