"""Probability calibration chosen on PublicTest: a temperature, and optionally a per-class bias (a class prior).

A model trained on FER+ vote distributions outputs the share of taggers who would pick each
emotion, which is softer than "what most people would call this face". ``fit`` finds the
temperature ``T`` (and, asked for, the log-prior shift ``b``) that minimise the log-loss of
``softmax(log p / T + b)`` against the FER+ majority vote of PublicTest (scipy), and ``python -m
training calibrate`` writes them into the model's .json, where the app applies them to every face
(emotion_monitor.classifier.calibrate), on the mirror-averaged probabilities the app computes.

The class bias is off by default: its six parameters, fitted on 3,372 PublicTest faces (25 of them
disgust), gained 0.000-0.003 nats in a 5-fold cross-validation on PublicTest (emo-wide, emo-wild),
well within the folds' spread of 0.03, and on PrivateTest the float models, mirror-averaged, scored
no better with it than with the temperature alone (log-loss 0.4125 vs 0.4077 and accuracy 0.838 vs
0.841 for emo-wide's run 3; 0.4277 vs 0.4259 and 0.830 vs 0.830 for emo-wild). ``--class-bias`` fits
it (the shipped emo-wild file was calibrated so). The temperature changes no face's top emotion.
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


def cross_validate(probs: np.ndarray, labels: np.ndarray, bias: bool, folds: int = 5, seed: int = 0) -> dict:
    """Log-loss (mean and spread over folds) and accuracy of ``fit`` on held-out folds of the same faces."""
    fold = np.random.default_rng(seed).permutation(len(labels)) % folds
    losses, right = [], 0
    for f in range(folds):
        t, b = fit(probs[fold != f], labels[fold != f], bias=bias)
        out = calibrate(probs[fold == f].astype(np.float32), t, b)
        losses.append(nll(out, labels[fold == f]))
        right += int((out.argmax(1) == labels[fold == f]).sum())
    return {"nll": float(np.mean(losses)), "nll_sd": float(np.std(losses)), "accuracy": right / len(labels)}


def nll(probs: np.ndarray, labels: np.ndarray) -> float:
    return float(-np.mean(np.log(np.clip(probs[np.arange(len(labels)), labels], 1e-9, 1.0))))


__all__ = ["calibrate", "cross_validate", "fit", "nll"]
