"""The calm-faces study's measures (benchmarks/calm_faces.py): the head's pitch proxy and yaw from five
landmarks do not change when the head rolls, and a cue that only tells the clips apart says nothing."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs

from benchmarks import calm_faces as cf

CROPS = np.full((1, 48, 48), 128, np.uint8)


def face(drop: float, shift: float = 0.0, angle: float = 0.0, size: float = 40.0, at=(300.0, 200.0)) -> np.ndarray:
    """Five landmarks (right eye, left eye, nose, right and left mouth corner) of a face whose nose sits
    ``drop`` of the way from the eye line to the mouth line and ``shift`` eye distances aside, rolled by
    ``angle`` degrees about its eyes' midpoint."""
    pts = np.array([[-0.5, 0], [0.5, 0], [shift, drop], [-0.35, 1.0], [0.35, 1.0]]) * size
    a = np.radians(angle)
    rot = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    return (pts @ rot.T + np.array(at))[None]


@settings(max_examples=200, deadline=None)
@given(hs.floats(0.3, 0.8), hs.floats(-0.4, 0.4), hs.floats(-40, 40), hs.floats(12, 200))
def test_nose_drop_and_yaw_are_the_same_however_the_head_rolls(drop, shift, angle, size):
    level = cf.cues(face(drop, shift, 0.0, size), np.array([[0, 0, 10, size]]), CROPS, np.array([0.9]))
    rolled = cf.cues(face(drop, shift, angle, size), np.array([[0, 0, 10, size]]), CROPS, np.array([0.9]))
    assert level["nose drop"][0] == pytest.approx(drop, abs=1e-6)
    assert rolled["nose drop"][0] == pytest.approx(drop, abs=1e-6)
    assert rolled["yaw"][0] == pytest.approx(abs(shift), abs=1e-6)
    assert rolled["roll"][0] == pytest.approx(abs(angle), abs=1e-3)


def test_a_cue_that_only_tells_the_clips_apart_says_nothing_within_them():
    rng = np.random.default_rng(0)
    sad = np.r_[rng.random(200) < 0.5, rng.random(200) < 0.05]  # clip a: many read sad; clip b: few
    size = np.r_[np.full(200, 90.0), np.full(200, 15.0)] + rng.normal(0, 1, 400)  # a's faces are big
    strata = np.r_[np.zeros(200), np.ones(200)]
    from sklearn.metrics import roc_auc_score

    assert roc_auc_score(sad, size) > 0.75  # pooled, size looks like it separates
    assert cf.auc(sad, size, strata) == pytest.approx(0.5, abs=0.1)  # within each clip it does not
    assert cf.auc(sad, np.where(sad, 1.0, 0.0), strata) == 1.0


def test_the_lean_to_sad_is_the_log_ratio_of_sad_to_neutral():
    p = np.zeros(7)
    p[cf.SAD], p[cf.NEUTRAL] = 0.6, 0.2
    assert cf.logit(p) == pytest.approx(np.log(3.0))
    assert cf.logit(np.stack([p, p]))[1] == pytest.approx(np.log(3.0))


def test_within_a_person_the_cue_s_correlation_with_the_lean_is_averaged_over_people():
    rows = [{"person": p, "nose drop": x, "logit": sign * x} for p, sign in (("a", 1), ("b", 1), ("c", -1))
            for x in np.linspace(0.4, 0.7, 10)]
    n, mean, lo, hi = cf.within_rho(rows, "nose drop", 200)
    assert n == 3 and mean == pytest.approx(1 / 3) and lo <= mean <= hi


def test_a_track_is_matched_to_the_detection_it_overlaps():
    tracks = np.array([[0, 0, 10, 10], [100, 100, 120, 140]], np.float32)
    dets = np.array([[101, 102, 121, 141], [1, 0, 11, 10], [500, 500, 510, 510]], np.float32)
    m = cf.iou(tracks, dets)
    assert m.shape == (2, 3) and list(m.argmax(1)) == [1, 0]
    assert m[0, 1] == pytest.approx(90 / 110) and m[:, 2].max() == 0.0
