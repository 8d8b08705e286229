"""Property-based tests of the mood stage (hypothesis): on generated streams of people (arrivals,
departures, gaps, faces the quality gate drops, faces walking closer, ids handed from one person to
another), the alert's invariants hold for every stream (mood.py's five lines):

- no alert stays on once everyone in view, in company, has read as they did when they arrived (their
  resting face) for the settling time, the window and the clear time, nor once nobody has been counted
  for longer than the gap;
- an alert about one person ("alone") names a person who is alone in view and has been since they
  arrived; a "turned" alert names someone seen long enough for their resting face to be known;
- every alert says why, and names only people in view.

The bugs each of these found in the rule before (issue #31) are named regression tests in
test_tracking_mood.py.
"""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emotion_monitor.mood import MoodConfig, MoodMonitor, face_score
from emotion_monitor.types import LABELS, Track

FPS = 5.0
CONFIG = MoodConfig()
EXAMPLES = settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def probs_of(level: float) -> np.ndarray:
    """Probabilities whose face score is ``level`` (<= 0): sad and neutral shares (0: neutral)."""
    p = np.zeros(len(LABELS), np.float32)
    p[LABELS.index("sad")], p[LABELS.index("neutral")] = -level, 1.0 + level
    return p


@st.composite
def people(draw, most: int = 5):
    n = draw(st.integers(1, most))
    out = []
    for k in range(n):
        start = draw(st.floats(0.0, 30.0))
        stay = draw(st.floats(0.4, 45.0))
        moods = draw(st.lists(st.tuples(st.floats(0.4, 15.0), st.sampled_from([0.0, -0.3, -0.6, -0.9, -1.0])),
                              min_size=1, max_size=4))
        gaps = draw(st.lists(st.tuples(st.floats(0.0, 45.0), st.floats(0.2, 4.0)), max_size=2))
        gated = draw(st.lists(st.tuples(st.floats(0.0, 45.0), st.floats(0.2, 6.0)), max_size=2))
        grow = draw(st.sampled_from([1.0, 1.0, 1.0, 2.0]))  # walking closer: the face doubles over the stay
        out.append({"slot": k, "start": start, "end": start + stay, "moods": moods, "gaps": gaps, "gated": gated,
                    "grow": grow})
    swaps = draw(st.lists(st.tuples(st.floats(0.0, 60.0), st.integers(0, n - 1), st.integers(0, n - 1)), max_size=2))
    return out, sorted(swaps)


def frames(spec, seconds: float = 70.0):
    """[(time, [Track, ...])] of a generated stream; ids start as the person's slot and may be swapped."""
    persons, swaps = spec
    ids = {p["slot"]: p["slot"] + 1 for p in persons}
    next_id = len(persons) + 1
    out = []
    for i in range(int(seconds * FPS)):
        t = i / FPS
        while swaps and swaps[0][0] <= t:
            _, a, b = swaps.pop(0)
            if a == b:  # a person back under a new id
                ids[a], next_id = next_id, next_id + 1
            else:
                ids[a], ids[b] = ids[b], ids[a]
        tracks = []
        for p in persons:
            if not p["start"] <= t < p["end"] or any(g <= t - p["start"] < g + d for g, d in p["gaps"]):
                continue
            into, level = t - p["start"], p["moods"][-1][1]
            for d, lv in p["moods"]:
                if into < d:
                    level = lv
                    break
                into -= d
            w = 40.0 * (1.0 + (p["grow"] - 1.0) * (t - p["start"]) / max(p["end"] - p["start"], 1e-6))
            x = 120.0 * p["slot"]
            quality = "small" if any(g <= t - p["start"] < g + d for g, d in p["gated"]) else "ok"
            pr = probs_of(level)
            tracks.append(Track(ids[p["slot"]], np.array([x, 0, x + w, w], np.float32), pr, pr, quality=quality))
        out.append((t, tracks))
    return out


def run(stream, config=CONFIG):
    monitor = MoodMonitor(config)
    return [(t, tracks, monitor.update(tracks, t)) for t, tracks in stream]


class Seen:
    """Each track id's stay as the test sees it: when it arrived (a box that jumps more than a face width is
    somebody else), the score it read then, and whether it ever had company."""

    def __init__(self):
        self.first: dict[int, float] = {}
        self.level: dict[int, float] = {}
        self.box: dict[int, np.ndarray] = {}
        self.company: dict[int, bool] = {}

    def update(self, t: float, tracks) -> None:
        for tr in tracks:
            box = self.box.get(tr.track_id)
            w = float(tr.xyxy[2] - tr.xyxy[0])
            jumped = box is not None and float(np.hypot(*(tr.xyxy[:2] - box[:2]))) > max(w, float(box[2] - box[0]))
            if tr.track_id not in self.first or jumped:
                self.first[tr.track_id], self.company[tr.track_id] = t, False
                self.level[tr.track_id] = float(face_score(tr.probs)[0])
            self.box[tr.track_id] = tr.xyxy
            self.company[tr.track_id] = self.company[tr.track_id] or len(tracks) > 1

    def at_rest(self, tracks) -> bool:
        """Everyone in company, each reading as they did when they arrived."""
        return len(tracks) > 1 and all(float(face_score(tr.probs)[0]) == self.level[tr.track_id] for tr in tracks)


@EXAMPLES
@given(people())
def test_no_alert_outlives_a_group_at_rest_or_an_empty_view(spec):
    seen = Seen()
    rest_since = empty_since = None
    settle_out = CONFIG.settle + CONFIG.window + CONFIG.duration / 2 + 2 / FPS
    for t, tracks, m in run(frames(spec)):
        seen.update(t, tracks)
        counted = [tr for tr in tracks if tr.quality == "ok"]
        rest_since = (rest_since if rest_since is not None else t) if seen.at_rest(tracks) else None
        empty_since = (empty_since if empty_since is not None else t) if not counted else None
        if rest_since is not None and t - rest_since > settle_out:
            assert not m.alert, (t, m)  # everyone at their resting face, in company, long enough
        if empty_since is not None and t - empty_since > CONFIG.gap + 1 / FPS:
            assert not m.alert, (t, m)  # nobody counted for longer than the gap


@EXAMPLES
@given(people())
def test_a_persons_alert_names_someone_alone_since_arrival_or_long_enough_in_view(spec):
    seen = Seen()
    for t, tracks, m in run(frames(spec)):
        seen.update(t, tracks)
        if m.event != "alert":
            continue
        assert m.reason in ("threshold", "drop", "turned", "alone")
        in_view = {tr.track_id for tr in tracks}
        assert set(m.who) <= in_view
        if m.reason == "alone":
            assert len(m.who) == 1 and len(tracks) == 1 and not seen.company[m.who[0]], (t, m)
        if m.reason == "turned":
            assert m.who and all(t - seen.first[i] >= CONFIG.settle + CONFIG.person_duration - 1e-6 for i in m.who), (t, m)


@EXAMPLES
@given(st.floats(0.0, 20.0), st.floats(0.0, 10.0), st.sampled_from([-0.6, -0.9, -1.0]))
def test_an_unhappy_person_alone_alerts_within_6_s_and_clears_when_they_leave(arrive, calm_for, level):
    stream = [(t, [Track(1, np.array([0, 0, 60, 60], np.float32), probs_of(0.0 if t < arrive + calm_for else level),
                         probs_of(0.0), quality="ok")] if arrive <= t < arrive + calm_for + 20.0 else [])
              for t in (i / FPS for i in range(int((arrive + calm_for + 30.0) * FPS)))]
    events = [(t, m.event, m.reason) for t, _, m in run(stream) if m.event]
    turn = arrive + calm_for
    assert events and events[0][1:] == ("alert", "alone") and turn < events[0][0] <= turn + 6.0, events
    assert events[1][1] == "clear" and events[1][0] >= turn + 20.0, events
