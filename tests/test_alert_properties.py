"""Property-based tests of the alert's rule (hypothesis), through ``MoodMonitor`` with its default settings.

Streams of one person or a group are generated over the whole range of readings: any probabilities (a
face's score anywhere in -1..+1, positive readings and the -0.5..-0.3 band included, faces read neutral
with a large unhappy share too), arrivals, departures, looks away, faces the quality gate drops, faces
walking closer and ids handed from one person to another. For every stream:

- **no alert from a level**: people whose readings never change raise no alert, alone or in company;
- **no alert outlives a return**: once everyone in view reads as they did when first seen again (or nobody
  is in view) for long enough, no alert is on;
- **alone is as in a group**: what the rule judges of a person (state, rise, mark) and the turns they raise
  do not depend on who else is in view;
- **every alert says why and names only people seen**, each named turn by someone judged turned.
"""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from emotion_monitor.mood import REASONS, MoodConfig, MoodMonitor, face_score
from emotion_monitor.types import LABELS, Track

FPS = 5.0
CONFIG = MoodConfig()
EXAMPLES = settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SECONDS = 40.0

# a reading: seven shares (normalised), drawn so that every top label and every score in -1..+1 occurs
shares = st.lists(st.floats(0.0, 1.0), min_size=len(LABELS), max_size=len(LABELS)).filter(lambda v: sum(v) > 1e-3)


def probs(v) -> np.ndarray:
    p = np.asarray(v, np.float32)
    return p / p.sum()


@st.composite
def people(draw, most: int = 4, steady: bool = False, settled: float = 0.0):
    """Generated people: each a slot, a stay, 1-3 readings in turn (one when ``steady``), looks away, gated
    spells and a walk closer; then id swaps. With ``settled`` > 0, each person's first reading lasts that
    long before anything else happens to them (no look away, no gated spell, no walk, no swap): it is their
    resting face, exactly."""
    n = draw(st.integers(1, most))
    out = []
    for k in range(n):
        start = draw(st.floats(0.0, 20.0))
        stay = draw(st.floats(max(0.4, settled), SECONDS))
        first = draw(st.floats(max(0.4, settled), max(15.0, settled)))
        moods = [(first, draw(shares))] + draw(st.lists(st.tuples(st.floats(0.4, 15.0), shares),
                                                        max_size=0 if steady else 2))
        gaps = draw(st.lists(st.tuples(st.floats(settled, 40.0), st.floats(0.2, 4.0)), max_size=2))
        gated = draw(st.lists(st.tuples(st.floats(settled, 40.0), st.floats(0.2, 6.0)), max_size=2))
        grow = 1.0 if settled else draw(st.sampled_from([1.0, 1.0, 1.0, 2.0]))  # walking closer: the face doubles
        out.append({"slot": k, "start": start, "end": start + stay, "moods": [(d, probs(v)) for d, v in moods],
                    "gaps": gaps, "gated": gated, "grow": grow})
    swaps = [] if settled else draw(st.lists(st.tuples(st.floats(0.0, SECONDS), st.integers(0, n - 1),
                                                       st.integers(0, n - 1)), max_size=2))
    return out, sorted(swaps)


def reading(p: dict, into: float) -> np.ndarray:
    for d, pr in p["moods"]:
        if into < d:
            return pr
        into -= d
    return p["moods"][-1][1]


def frames(spec, seconds: float = SECONDS, back: float = 0.0):
    """[(time, [Track, ...])] of a generated stream; ids start as the person's slot and may be swapped. With
    ``back`` > 0, everyone still in view at the end reads their first reading again for ``back`` seconds."""
    persons, swaps = spec
    swaps = list(swaps)
    ids = {p["slot"]: p["slot"] + 1 for p in persons}
    next_id = len(persons) + 1
    out = []
    for i in range(int((seconds + back) * FPS)):
        t = i / FPS
        while swaps and swaps[0][0] <= t:
            _, a, b = swaps.pop(0)
            if a == b:  # a person back under a new id
                ids[a], next_id = next_id, next_id + 1
            else:
                ids[a], ids[b] = ids[b], ids[a]
        tracks = []
        for p in persons:
            end = p["end"] + (back if p["end"] >= seconds else 0.0)
            if not p["start"] <= t < end or (t < seconds and any(g <= t - p["start"] < g + d for g, d in p["gaps"])):
                continue
            pr = reading(p, t - p["start"]) if t < seconds else p["moods"][0][1]
            grown = min(t, p["end"]) - p["start"]
            w = 40.0 * (1.0 + (p["grow"] - 1.0) * grown / max(p["end"] - p["start"], 1e-6))
            x = 120.0 * p["slot"]
            gated = t < seconds and any(g <= t - p["start"] < g + d for g, d in p["gated"])
            tracks.append(Track(ids[p["slot"]], np.array([x, 0, x + w, w], np.float32), pr, pr,
                                quality="small" if gated else "ok"))
        out.append((t, tracks))
    return out


def run(stream, config=CONFIG):
    monitor = MoodMonitor(config)
    return [(t, tracks, monitor.update(tracks, t)) for t, tracks in stream]


@EXAMPLES
@given(people(steady=True))
def test_people_whose_readings_never_change_raise_no_alert_alone_or_in_company(spec):
    scores = [float(face_score(p["moods"][0][1])[0]) for p in spec[0]]
    for t, _, m in run(frames(spec)):
        assert not m.alert, (t, m, scores)


# found by hypothesis (2026-12-06): the group's mean over the window, lagging, raised an alert 3.8 s after the
# one person left had come back to their resting face; a group alert now needs the group low at that moment too
LAGGING = ([{"slot": 0, "start": 0.0, "end": 35.0, "moods": [(6.0, probs([0, 0, 0, 0, 0, 0, 1]))], "gaps": [],
             "gated": [], "grow": 1.0},
            {"slot": 1, "start": 6.0, "end": 40.0, "gaps": [], "gated": [(6.0, 1.0), (21.0, 6.0)], "grow": 1.0,
             "moods": [(6.0, probs([0, 0, 0, 0, 0, 0.4, 0.6])), (1.0, probs([0, 0, 4, 1, 0, 4, 2]))]}], [])


@EXAMPLES
@given(people(settled=CONFIG.settle + 2.0))
@example(LAGGING)
def test_no_alert_outlives_everyone_reading_as_when_first_seen_or_an_empty_view(spec):
    # everyone in view reads their resting face again (their first reading), long enough to clear
    back = CONFIG.duration / 2 + CONFIG.gap + 2.0
    results = run(frames(spec, back=back))
    assert not results[-1][2].alert, results[-1]
    empty_since = None
    for t, tracks, m in results:
        empty_since = (empty_since if empty_since is not None else t) if not tracks else None
        if empty_since is not None and t - empty_since > CONFIG.gap + CONFIG.duration / 2 + 1 / FPS:
            assert not m.alert, (t, m)  # nobody in view for longer than the gap and the clear time


@EXAMPLES
@given(people(most=1), shares)
def test_what_the_rule_judges_of_a_person_does_not_depend_on_who_else_is_in_view(spec, other):
    companion = Track(99, np.array([900, 0, 940, 40], np.float32), probs(other), probs(other))
    no_group = MoodConfig(threshold=-1.0)  # the group's own rule aside: a group of one is its one person
    alone = run(frames(spec), no_group)
    crowd = run([(t, tracks + [companion]) for t, tracks in frames(spec)], no_group)
    for (t, _, a), (_, _, c) in zip(alone, crowd):
        mine = [p for p in c.people if p.track_id != 99]
        assert a.people == tuple(mine), t
        assert a.marked == tuple(i for i in c.marked if i != 99), t
        assert (a.event, a.reason, a.who) == (c.event, c.reason, c.who), t


@EXAMPLES
@given(people())
def test_every_alert_says_why_and_names_only_people_seen_each_turn_by_someone_judged_turned(spec):
    seen: set[int] = set()
    for t, tracks, m in run(frames(spec)):
        seen |= {tr.track_id for tr in tracks}
        if m.alert:
            assert m.reason in REASONS and set(m.who) <= seen, (t, m)
        if m.event == "alert" and m.reason == "turned":
            states = {p.track_id: p.state for p in m.people}
            assert m.who and all(states.get(i) == "turned" for i in m.who), (t, m)
