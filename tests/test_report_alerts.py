"""The report says why each alert was on (alert_spans.py), one person at a camera as well as a crowd, at every
privacy level: a face read neutral whose unhappy share rose turns, and its rows read mood 0 and "neutral" all
through its alert, so the chart alone showed an alert over a flat line with nothing to explain it."""

import numpy as np
import pytest

from emotion_monitor.privacy import LEVELS
from emotion_monitor.recording import CsvRecorder
from emotion_monitor.report import alert_rows, summarize, write_report
from emotion_monitor.types import LABELS, Detections, Frame, FrameResult, MoodState, Track

FPS = 25.0
T0 = 1_796_000_000.0


def probs(**shares):
    p = np.zeros(len(LABELS), np.float32)
    for k, v in shares.items():
        p[LABELS.index(k)] = v
    return p


CALM = probs(neutral=0.95, sad=0.05)
TURNED = probs(neutral=0.75, sad=0.15, angry=0.10)  # top neutral, unhappy 25%


def session(path, n, privacy, turned_at=(100, 175), group_at=(200, 240)):
    """``n`` faces over 10 s; the last one turns (a person's alert) over ``turned_at`` frames, then the group
    falls (``group_at``), the two lowest behind it."""
    with CsvRecorder(path, privacy=privacy) as rec:
        for i in range(250):
            turned = turned_at[0] <= i < turned_at[1]
            group = group_at[0] <= i < group_at[1]
            tracks = tuple(Track(k, np.array([60 * k, 10, 60 * k + 40, 50], np.float32),
                                 TURNED if turned and k == n else CALM, TURNED if turned and k == n else CALM)
                           for k in range(1, n + 1))
            who = (n,) if turned else tuple(range(1, min(n, 2) + 1)) if group else ()
            mood = MoodState(0.0, 0.0, n, turned or group, reason="turned" if turned else "group" if group else None,
                             who=who)
            rec.write(FrameResult(Frame(np.zeros((60, 400, 3), np.uint8), i, T0 + i / FPS, i / FPS, "till"),
                                  Detections(), tracks, mood))


@pytest.mark.parametrize("privacy", LEVELS)
@pytest.mark.parametrize("n", [1, 4])
def test_each_alert_is_listed_with_why_and_who_alone_or_in_a_crowd(tmp_path, n, privacy):
    path = tmp_path / "s.csv"
    session(path, n, privacy)
    s = summarize(path)
    aggregate = privacy == "aggregate"
    assert [a.reason for a in s.alerts] == ["turned", "group"]
    turn, group = s.alerts
    step = 1.0 if aggregate else 1 / FPS  # an aggregate file keeps seconds
    assert turn.start == pytest.approx(T0 + 100 / FPS, abs=step) and turn.seconds == pytest.approx(74 / FPS, abs=2 * step)
    if aggregate:  # nobody named, no reading: what the file does not hold is not said
        assert turn.who == {} and turn.why() == "someone turned against their own resting face"
        assert group.why() == "the group fell below its resting faces"
    else:
        assert turn.who == {n: pytest.approx(0.25, abs=1e-3)}
        assert turn.why() == f"#{n} turned against their own resting face: read unhappy 25% at the alert's start"
        lowest = ", ".join(f"#{k}" for k in range(1, min(n, 2) + 1))
        assert group.why() == f"the group fell below its resting faces (lowest {lowest})"
    out = tmp_path / "r.html"
    write_report(path, out)
    page = out.read_text()
    assert f"{n} face{'s' if n > 1 else ''}, mean group mood" in page or aggregate  # "1 faces" no more
    assert "<h2>Alerts (2)</h2>" in page and all(row[3].replace("'", "&#x27;") in page for row in alert_rows(s))
    assert ("#" not in "".join(r[3] for r in alert_rows(s))) == aggregate


def test_a_session_without_alerts_says_none_and_one_still_on_at_the_end_is_listed(tmp_path):
    calm, on = tmp_path / "calm.csv", tmp_path / "on.csv"
    session(calm, 3, "people", turned_at=(0, 0), group_at=(0, 0))
    session(on, 3, "people", turned_at=(0, 0), group_at=(200, 999))
    assert summarize(calm).alerts == []
    write_report(calm, tmp_path / "calm.html")
    assert "<h2>Alerts</h2><p>None.</p>" in (tmp_path / "calm.html").read_text()
    [last] = summarize(on).alerts
    assert last.end == pytest.approx(T0 + 249 / FPS) and last.short() == "group fell"


def test_an_alert_of_an_older_rule_keeps_its_reason():
    from emotion_monitor.alert_spans import AlertSpan

    assert AlertSpan("", 0.0, 1.0, "threshold").why() == "alert (threshold: a rule of 0.3 and earlier)"
    assert AlertSpan("", 0.0, 1.0, "").why() == "alert (the file gives no reason)"
