"""Identities through the real pipeline (YuNet, the classifier, the tracker) on a composite with known
people who walk, cross, pass behind a pillar, turn away and leave the frame (benchmarks/composite.py).
Needs ../shared (FER+ faces and the hikers clip's background)."""

import os

import pytest

from benchmarks import composite

pytest.importorskip("motmetrics", reason="needs the [dev] extra")
needs_shared = pytest.mark.skipif(not (composite.SHARED / "data" / "fer2013.tar.xz").exists() and not os.environ.get("CI"),
                                  reason="../shared is not beside the checkout")


@needs_shared
def test_six_people_keep_six_ids_through_crossings_a_pillar_and_leaving():
    from benchmarks.identity import composite_metrics

    m = composite_metrics(16.0)  # the fast walker leaves and comes back twice, person 1 crosses person 2
    assert m["ids"] == 6
    assert m["num_switches"] == 0
    assert m["idf1"] >= 0.9
