"""The ship gate's interval maths: a share with its 95% interval, and the difference of two models' shares.

* A share (faces read right, people read unhappy) gets Wilson's score interval, by count of the units
  judged (faces, people), never of rows: scipy's ``binomtest(...).proportion_ci("wilson")``.
* Two models read the **same** faces: the difference of their shares is judged on the faces where they
  disagree (McNemar). Conditional on the ``m`` discordant faces, the candidate is right on ``b`` of them,
  ``b ~ Binomial(m, pi)``; the difference of the shares is ``(2 pi - 1) m / n``. Its interval maps the
  exact (Clopper-Pearson) interval of ``pi``, which excludes 1/2 exactly when McNemar's exact test
  (two-sided binomial on the discordant faces, p given beside it) rejects "no difference" at the same
  level: the interval and the test never disagree, and neither leans on a normal approximation where
  few faces disagree (22 disgust faces).
* Different units (people tracked in two runs, which need not be the same tracks): Newcombe's hybrid
  score interval of a difference of independent proportions (his method 10, 1998), from the two Wilson
  intervals. scipy has neither difference, hence these few lines.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.stats import binomtest

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
    """Candidate's share minus the baseline's, with its interval; ``p``: McNemar's exact p (paired only)."""

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


def paired(base, cand, level: float = LEVEL) -> Diff:
    """``mean(cand) - mean(base)`` over the same units (booleans, one per unit, in the same order)."""
    base, cand = np.asarray(base, bool), np.asarray(cand, bool)
    if base.shape != cand.shape or base.ndim != 1:
        raise ValueError(f"paired shares need one flag per unit for both models, got {base.shape} and {cand.shape}")
    n = len(base)
    if n == 0:
        return Diff(0.0, -1.0, 1.0)
    b = int((cand & ~base).sum())  # the candidate alone is right (or alone reads negative)
    m = b + int((base & ~cand).sum())
    if m == 0:  # the two agree on every unit: the difference is exactly 0
        return Diff(0.0, 0.0, 0.0, 1.0)
    ci = binomtest(b, m, 0.5).proportion_ci(level, method="exact")
    lo, hi = float(ci.low), float(ci.high)
    scale = m / n
    return Diff((2 * b - m) / n, (2 * lo - 1) * scale, (2 * hi - 1) * scale, float(binomtest(b, m, 0.5).pvalue))


def independent(base: Share, cand: Share) -> Diff:
    """``cand.p - base.p`` for shares of different units: Newcombe's hybrid score interval (method 10)."""
    if not base.n or not cand.n:
        return Diff(float("nan"), -1.0, 1.0)
    d = cand.p - base.p
    lo = d - math.sqrt((cand.p - cand.lo) ** 2 + (base.hi - base.p) ** 2)
    hi = d + math.sqrt((cand.hi - cand.p) ** 2 + (base.p - base.lo) ** 2)
    return Diff(d, max(lo, -1.0), min(hi, 1.0))
