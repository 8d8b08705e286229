"""The ship gate's verdicts (benchmarks/ship_gate.py): which measured figures pass #20's conditions."""

from benchmarks import ship_gate as gate

SHIPPED = {"FER+ PrivateTest": 0.8289, "recall sad": 0.528, "recall fear": 0.446, "recall disgust": 0.5,
           "FER2013 PrivateTest": 0.614}


def test_tagger_bars_are_absolute_and_disgust_is_only_reported():
    good = {"FER+ PrivateTest": 0.851, "recall sad": 0.65, "recall fear": 0.5, "recall disgust": 0.1,
            "FER2013 PrivateTest": 0.61}
    rows = gate.tagger_rows(SHIPPED, good)
    assert [r.ok for r in rows] == [True, True, True, True, None]
    short = gate.tagger_rows(SHIPPED, {**good, "recall fear": 0.499})
    assert [r.name for r in short if r.ok is False] == ["recall fear"]


def test_footage_calm_clips_may_not_read_more_negative_and_the_unhappy_one_must():
    base = {"crowd_1080p.mp4": 0.257, "hikers_walking.mp4": 0.014, gate.UNHAPPY_CLIP: 0.62}
    same = gate.footage_rows(base, {"crowd_1080p.mp4": 0.262, "hikers_walking.mp4": 0.01, gate.UNHAPPY_CLIP: 0.69})
    assert all(r.ok for r in same)  # 26% against 26%: the issue states whole percents
    worse = gate.footage_rows(base, {"crowd_1080p.mp4": 0.33, "hikers_walking.mp4": 0.01, gate.UNHAPPY_CLIP: 0.62})
    assert [r.ok for r in worse] == [False, True, False]  # street up 7 points; unhappy faces no better


def test_decision_ships_only_when_everything_was_measured_and_holds():
    rows = gate.tagger_rows(SHIPPED, {**SHIPPED, "FER+ PrivateTest": 0.86, "recall sad": 0.7, "recall fear": 0.6})
    rows.append(gate.speed_row(1.3, 2.9))
    assert gate.decision(rows).startswith("SHIP")
    assert gate.decision(rows, footage=False).startswith("UNDECIDED")
    rows += gate.matrix_rows({"crowd": "ok"}, {"crowd": "FAIL: 2 alert(s), first at 11.7 s (unhappy)"})
    rows.append(gate.speed_row(1.3, 3.2))
    verdict = gate.decision(rows)
    assert verdict.startswith("KEEP") and "2 failed" in verdict and "alert: crowd" in verdict


def test_a_presentation_no_model_can_read_does_not_hold_a_candidate_back():
    unread = "FAIL: no alert (a face read in 4% of the frames)"
    rows = gate.matrix_rows({"alone 360p": unread, "turn": "ok: alert +3.1 s"},
                            {"alone 360p": unread, "turn": "FAIL: no alert (a face read in 96% of the frames)"})
    assert [r.ok for r in rows] == [True, False]  # the shipped model fails it too; a turn it read and missed fails
