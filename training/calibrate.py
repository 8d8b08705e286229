"""Probability calibration chosen on PublicTest: a temperature and a per-class bias (a class prior).

A model trained on FER+ vote distributions outputs the share of taggers who would pick each
emotion, which is softer than "what most people would call this face". ``fit`` finds the
temperature ``T`` and the log-prior shift ``b`` that minimise the log-loss of
``softmax(log p / T + b)`` against the FER+ majority vote of PublicTest (scipy), and ``python -m
training calibrate`` writes them into the model's .json, where the app applies them to every face
(emotion_monitor.classifier.calibrate). PrivateTest is not looked at.
"""

from __future__ import annotations

import numpy as np

from emotion_monitor.classifier import calibrate


def fit(probs: np.ndarray, labels: np.ndarray, bias: bool = True) -> tuple[float, np.ndarray]:
    """(temperature, bias (K,)) minimising the log-loss of the calibrated ``probs`` on ``labels``."""
    from scipy.optimize import minimize

    k = probs.shape[1]
    logp = np.log(np.clip(probs, 1e-6, 1.0))

    def loss(theta):
        t, b = np.exp(theta[0]), (np.append(theta[1:], 0.0) if bias else np.zeros(k))  # last class fixed at 0
        z = logp / t + b
        z = z - z.max(1, keepdims=True)
        return float(np.mean(np.log(np.exp(z).sum(1)) - z[np.arange(len(labels)), labels]))

    theta0 = np.zeros(k if bias else 1)
    res = minimize(loss, theta0, method="L-BFGS-B")
    t = float(np.exp(res.x[0]))
    b = np.append(res.x[1:], 0.0) if bias else np.zeros(k)
    return t, b - b.mean()


def nll(probs: np.ndarray, labels: np.ndarray) -> float:
    return float(-np.mean(np.log(np.clip(probs[np.arange(len(labels)), labels], 1e-9, 1.0))))


__all__ = ["calibrate", "fit", "nll"]
