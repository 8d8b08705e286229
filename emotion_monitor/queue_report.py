"""The queue in a session report: its length over time, how long people waited, and the mood by minutes
waited (a recording made with a queue zone: the CSV's ``zone`` and ``waited_s`` columns, zones.py).

"After how long do people turn unhappy" is what tells a manager to open another till: each point of
the mood-by-wait chart is the mean face score of the rows recorded while people had waited that many
minutes, with the number of people it stands on written beside it (a point of one person is an
anecdote, not a trend).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from matplotlib.figure import Figure


@dataclass
class QueueTally:
    """What a session CSV says about its queue, gathered row by row (session_csv.summarize)."""

    length: dict[int, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))  # second -> sum, frames
    waits: dict[tuple[str, int], float] = field(default_factory=dict)  # (source, person) -> longest wait, s
    # by 10 s of waiting: score sum and rows, and who they are
    by_wait: dict[int, list[float]] = field(default_factory=lambda: defaultdict(lambda: [0.0, 0]))
    people_by_wait: dict[int, set[tuple[str, int]]] = field(default_factory=lambda: defaultdict(set))

    def frame(self, second: int, in_queue: int) -> None:
        b = self.length[second]
        b[0] += in_queue
        b[1] += 1

    def row(self, person: tuple[str, int], waited: float, score: float | None) -> None:
        """A face row in the queue: ``waited`` seconds so far; ``score`` its face score where it counted."""
        self.waits[person] = max(self.waits.get(person, 0.0), waited)
        if score is not None:
            ten = int(waited // 10)
            b = self.by_wait[ten]
            b[0] += score
            b[1] += 1
            self.people_by_wait[ten].add(person)

    def series(self) -> tuple[np.ndarray, np.ndarray]:
        """UTC seconds and the mean queue length in each."""
        secs = np.array(sorted(self.length), np.float64)
        return secs, np.array([self.length[int(s)][0] / max(self.length[int(s)][1], 1) for s in secs], np.float64)

    def mood_by_wait(self) -> tuple[int, list[tuple[float, float, int]]]:
        """The bin's width in seconds (a minute when someone waited 5 minutes or more, else 10 s) and, for
        each bin with readings, (its start in minutes waited, the mean face score, how many people)."""
        step = 60 if max(self.waits.values(), default=0.0) >= 300 else 10
        sums: dict[int, list[float]] = defaultdict(lambda: [0.0, 0])
        people: dict[int, set[tuple[str, int]]] = defaultdict(set)
        for ten, (total, rows) in self.by_wait.items():
            k = ten * 10 // step
            sums[k][0] += total
            sums[k][1] += rows
            people[k] |= self.people_by_wait[ten]
        return step, [(k * step / 60, b[0] / b[1], len(people[k])) for k, b in sorted(sums.items()) if b[1]]


def queue_figure(q: QueueTally) -> Figure:
    """Three panels: the queue's length over time, the distribution of waits, the mood by minutes waited."""
    from datetime import datetime, timezone

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (a, b, c) = plt.subplots(1, 3, figsize=(11, 3.2), gridspec_kw={"width_ratios": [2, 1.2, 1.5]})
    secs, length = q.series()
    a.step([datetime.fromtimestamp(s, timezone.utc) for s in secs], length, where="mid", color="#00838f")
    a.set_title("people in the queue (mean per second)", fontsize=9, loc="left")
    a.set_ylim(bottom=0)
    a.tick_params(axis="x", labelsize=7, rotation=30)
    waits = np.array(list(q.waits.values()), np.float64) / 60
    b.hist(waits, bins=max(1, min(20, len(waits))), color="#00838f", alpha=0.8)
    b.set_title(f"waits of {len(waits)} people (median {np.median(waits) if len(waits) else 0:.1f} min)", fontsize=9,
                loc="left")
    b.set_xlabel("minutes waited", fontsize=8)
    step, points = q.mood_by_wait()
    if points:
        m, mood, n = (np.array(v, np.float64) for v in zip(*points))
        c.plot(m, mood, marker="o", color="#1565c0")
        for x, y, k in zip(m, mood, n):
            c.annotate(f"{int(k)}", (x, y), textcoords="offset points", xytext=(0, 6), ha="center", fontsize=7)
    c.axhline(0, color="#777", lw=0.8)
    c.set_ylim(-1.05, 1.05)
    c.set_title(f"mood by minutes waited, {step} s bins (people per point)", fontsize=9, loc="left")
    c.set_xlabel("minutes waited so far", fontsize=8)
    for ax in (a, b, c):
        ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig
