"""The ship gate's interval maths: a share with its 95% interval, and the difference of two models' shares.

* A share (faces read right, people read unhappy) gets Wilson's score interval, by count of the units
  judged (faces, people), never of rows: scipy's ``binomtest(...).proportion_ci("wilson")``.
* Two models read the **same** faces: the difference of their shares gets Tango's score interval (1998)
  and McNemar's test without continuity correction (the pair Fagerland, Lydersen and Laake recommend for
  paired proportions, Stat Med 2013). Tango's interval is the set of differences the score statistic does
  not reject; at a difference of 0 that statistic is McNemar's ``(b - c) / sqrt(b + c)`` (``b``: faces
  only the candidate reads right, ``c``: only the baseline), so the interval excludes 0 exactly when the
  test rejects: the two never disagree. (An interval conditional on the discordant faces, mapped from an
  exact binomial one, was tried first: where one model is never alone right its bound sits on the
  estimate, e.g. neutral recall -4.1 [-4.1, -3.5], which reads as no uncertainty at all.)
* Different units (people tracked in two runs, which need not be the same tracks): Newcombe's hybrid
  score interval of a difference of independent proportions (his method 10, 1998), from the two Wilson
  intervals. scipy has neither difference, hence these few lines.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.optimize import brentq
from scipy.stats import binomtest, norm

LEVEL = 0.95


@dataclass(frozen=True)
class Share:
    """``k`` of ``n`` units, with Wilson's interval."""

    k: int
    n: int
    lo: float
    hi: float

    @property
    def p(self) -> float:
        return self.k / self.n if self.n else float("nan")

    def text(self, digits: int = 1) -> str:
        if not self.n:
            return "-"
        return f"{100 * self.p:.{digits}f}% [{100 * self.lo:.{digits}f}, {100 * self.hi:.{digits}f}] of {self.n}"


@dataclass(frozen=True)
class Diff:
    """Candidate's share minus the baseline's, with its interval; ``p``: McNemar's p (paired only)."""

    d: float
    lo: float
    hi: float
    p: float | None = None

    def text(self) -> str:
        extra = f", p {self.p:.2g}" if self.p is not None else ""
        return f"{100 * self.d:+.1f} [{100 * self.lo:+.1f}, {100 * self.hi:+.1f}]{extra}"

    def above(self) -> bool:
        """Higher beyond noise: the whole interval above 0."""
        return self.lo > 0

    def below(self) -> bool:
        """Lower beyond noise: the whole interval below 0."""
        return self.hi < 0


def wilson(k: int, n: int, level: float = LEVEL) -> tuple[float, float]:
    """Wilson's score interval of ``k`` successes in ``n`` trials."""
    if not 0 <= k <= n:
        raise ValueError(f"a share needs 0 <= k <= n, got {k} of {n}")
    if n == 0:
        return 0.0, 1.0
    ci = binomtest(int(k), int(n)).proportion_ci(level, method="wilson")
    return float(ci.low), float(ci.high)


def share(k: int, n: int, level: float = LEVEL) -> Share:
    return Share(int(k), int(n), *wilson(k, n, level))


def share_of(flags, level: float = LEVEL) -> Share:
    """The share of true ``flags`` (one per unit)."""
    flags = np.asarray(flags, bool)
    return share(int(flags.sum()), len(flags), level)


def tango_z(b: int, c: int, n: int, delta: float) -> float:
    """Tango's score statistic for a paired difference ``delta`` (``b``: only the candidate right, ``c``:
    only the baseline, ``n`` units), with the restricted maximum-likelihood share of ``c``'s cell."""
    qa = 2.0 * n
    qb = -b - c + (2.0 * n - b + c) * delta
    qc = -c * delta * (1.0 - delta)
    q21 = max((-qb + math.sqrt(max(qb * qb - 4 * qa * qc, 0.0))) / (2 * qa), 0.0)
    var = n * (2 * q21 + delta * (1 - delta))
    top = b - c - n * delta
    if var <= 0:  # no variance left: only the observed difference itself is not rejected
        return 0.0 if top == 0 else math.copysign(math.inf, top)
    return top / math.sqrt(var)


def paired(base, cand, level: float = LEVEL) -> Diff:
    """``mean(cand) - mean(base)`` over the same units (booleans, one per unit, in the same order)."""
    base, cand = np.asarray(base, bool), np.asarray(cand, bool)
    if base.shape != cand.shape or base.ndim != 1:
        raise ValueError(f"paired shares need one flag per unit for both models, got {base.shape} and {cand.shape}")
    n = len(base)
    if n == 0:
        return Diff(0.0, -1.0, 1.0)
    b, c = int((cand & ~base).sum()), int((base & ~cand).sum())
    d, z, eps = (b - c) / n, float(norm.ppf(0.5 + level / 2)), 1e-12
    f = lambda x, bound: tango_z(b, c, n, x) - bound  # noqa: E731  Z falls from +inf to -inf as delta grows
    lo = -1.0 if f(-1 + eps, z) <= 0 else brentq(f, -1 + eps, d, args=(z,), xtol=1e-12)
    hi = 1.0 if f(1 - eps, -z) >= 0 else brentq(f, d, 1 - eps, args=(-z,), xtol=1e-12)
    p = 1.0 if b + c == 0 else float(2 * norm.sf(abs(b - c) / math.sqrt(b + c)))
    return Diff(d, float(lo), float(hi), p)


def independent(base: Share, cand: Share) -> Diff:
    """``cand.p - base.p`` for shares of different units: Newcombe's hybrid score interval (method 10)."""
    if not base.n or not cand.n:
        return Diff(float("nan"), -1.0, 1.0)
    d = cand.p - base.p
    lo = d - math.sqrt((cand.p - cand.lo) ** 2 + (base.hi - base.p) ** 2)
    hi = d + math.sqrt((cand.hi - cand.p) ** 2 + (base.p - base.lo) ** 2)
    return Diff(d, max(lo, -1.0), min(hi, 1.0))
