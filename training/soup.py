"""Weight averaging of two trained models of one architecture (a "model soup", Wortsman et al. 2022).

The shipped student is the average of the online-distilled run and its fine-tune on stored teacher
targets: the two lie in one basin (the second starts from the first), and a point between them
generalises better than either end. The mixing weight is chosen on PublicTest, never PrivateTest.
Batch-norm statistics are averaged with the weights (recomputing them on clean training faces
measured worse: the networks were trained on augmented ones).
"""

from __future__ import annotations

import numpy as np


def mix(a, b, lam: float, template=None):
    """A model with weights (1 - lam) * a + lam * b: ``template`` (a fresh model of the same
    architecture, e.g. float32 where ``a`` was trained in mixed precision) or a clone of ``a``."""
    import keras

    wa, wb = a.get_weights(), b.get_weights()
    if [w.shape for w in wa] != [w.shape for w in wb]:
        raise ValueError("the two models differ in architecture: cannot average them")
    out = template if template is not None else keras.models.clone_model(a)
    out.set_weights([((1 - lam) * x + lam * y).astype(x.dtype) for x, y in zip(wa, wb)])
    return out


def select(a, b, x_val: np.ndarray, y_val: np.ndarray, grid, template=None,
           flip: bool = False) -> tuple[float, list[tuple[float, float]]]:
    """The mixing weight of ``grid`` with the best validation accuracy, and every (lam, accuracy).

    ``flip``: each face's probabilities averaged with its mirror image's, as the app reads faces."""
    from .evaluate import predict_keras

    def accuracy(model) -> float:
        probs = predict_keras(model, x_val)
        if flip:
            probs = probs + predict_keras(model, x_val[:, :, ::-1])
        return float((probs.argmax(1) == y_val).mean())

    scores = [(float(lam), accuracy(mix(a, b, lam, template))) for lam in grid]
    best = max(scores, key=lambda s: (s[1], -abs(s[0] - 0.5)))
    return best[0], scores
