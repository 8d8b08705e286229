"""The timeline never breaks without a reason shown (#52): nobody counted is a grey dotted line holding the
last mood, frames dropped to keep up are ticks at the foot."""

import numpy as np
import pytest

pytest.importorskip("pytestqt")

from emotion_monitor.types import Detections, Frame, FrameResult, MoodState  # noqa: E402


def result(index, faces, score=-0.2):
    frame = Frame(np.zeros((4, 4, 3), np.uint8), index, 1e9 + index / 25, index / 25, "clip")
    return FrameResult(frame, Detections(), (), MoodState(score, 0.0, faces, False))


def test_gaps_and_dropped_frames_are_drawn_as_such(qtbot):
    from emotion_monitor.gui.mood_panel import MoodPanel

    panel = MoodPanel(-0.3)
    qtbot.addWidget(panel)
    frames = [(0, 2), (1, 2), (2, 0), (3, 0), (4, 2), (9, 2), (10, 2), (30, 2)]  # 5-8 and 11-29 dropped
    for index, faces in frames:
        panel.show_result(result(index, faces))
    x, y = panel.curve.getData()
    assert np.isnan(y[2]) and np.isnan(y[3])  # nobody counted: no mood drawn...
    ux, uy = panel.unread.getData()
    assert np.allclose(uy[1:5], -0.2) and np.isnan(uy[0]) and np.isnan(uy[6])  # ...a dotted line across the gap
    dx, _ = panel.dropped.getData()
    assert np.allclose(dx, [(4 + 9) / 2 / 25, (10 + 30) / 2 / 25])  # a tick in each stretch of dropped frames
    # the window says how many frames the source dropped: frames analysed but not shown (the window draws the
    # newest result) are no drop; a tick where the count grew, as many as the status bar's count says
    counted = MoodPanel(-0.3)
    qtbot.addWidget(counted)
    for (index, faces), dropped in zip(frames, (0, 0, 0, 0, 0, 0, 1, 1)):
        counted.show_result(result(index, faces), dropped)
    dx, _ = counted.dropped.getData()
    assert np.allclose(dx, [(9 + 10) / 2 / 25])
    assert not panel.timeline.getAxis("bottom").autoSIPrefix  # "seconds", never "seconds (x0.001)"
    legend = [item[1].text for item in panel.timeline.getPlotItem().legend.items]
    assert legend == ["mood (as read)", "vs resting faces (alert)", "no face counted", "frames dropped",
                      "alert bar of the orange line"]  # the bar judges the fall from resting faces, not the mood read


@pytest.mark.parametrize("score,threshold,fall,key", [(0.3, -0.3, 0.0, 1), (0.01, -0.3, 0.0, 0), (-0.07, -0.3, 0.0, -1),
                                                      (-0.3, -0.3, -0.3, -2), (-0.5, -0.3, -0.6, -2), (-0.2, -0.1, -0.1, -2),
                                                      (-0.5, None, -0.6, -1), (-0.31, -0.3, 0.0, -1), (-0.5, -0.3, None, -1)])
def test_the_moods_colour_follows_the_threshold_and_no_emotion_wears_alert_red(score, threshold, fall, key):
    """#52 item 4: the mood at -0.07 with the threshold at -0.3 is not alarm-coloured; a group fallen to the
    threshold from its resting faces is. Calm faces reading -0.31 at rest (the demo) are not: the bar judges the
    fall, and no alert follows from a level."""
    from emotion_monitor.gui.mood_panel import COLOURS, mood_sign
    from emotion_monitor.overlay import ALERT_HEX, ALERT_RED, COLORS

    assert mood_sign(score, 3, threshold, fall) == key and mood_sign(score, 0, threshold, fall) == 0
    assert ALERT_HEX not in COLOURS.values() and ALERT_RED not in COLORS.values()
    assert len(set(COLORS.values())) == 7 and tuple(int(ALERT_HEX[i:i + 2], 16) for i in (5, 3, 1)) == ALERT_RED


@pytest.mark.parametrize("faces,who", [(1, (1,)), (4, (3,)), (5, (2, 4))])
def test_a_persons_turn_is_said_beside_the_group_numbers_alone_or_in_company(qtbot, faces, who):
    """A face read neutral scores 0 and can turn (its unhappy share rose from its rest): under a person's alert
    the gauge names who turned and wears the colour of what the alert judges past its bar, not the grey of a
    read mood of +0.00; without the alert (or with nobody judged) it says no more than the numbers."""
    from emotion_monitor.gui.mood_panel import COLOURS, MoodPanel, mood_sign
    from emotion_monitor.mood import people_text

    panel = MoodPanel(-0.3)
    qtbot.addWidget(panel)
    frame = Frame(np.zeros((4, 4, 3), np.uint8), 0, 1e9, 0.0, "clip")
    for on in (False, True, False):
        m = MoodState(0.0, 0.0, faces, on, vs_rest=0.0, reason="turned" if on else None, who=who if on else ())
        panel.show_result(FrameResult(frame, Detections(), (), m))
        text = panel.gauge.format()
        assert text.startswith("mood +0.00, +0.00 vs resting faces")
        assert text.endswith(f"; {people_text(who)} turned") == on and ("turned" in text) == on
        assert (COLOURS[-2] in panel.number.styleSheet()) == on and (COLOURS[0] in panel.number.styleSheet()) != on
    panel.show_result(FrameResult(frame, Detections(), (), MoodState(0.0, 0.0, faces, False)))  # nobody judged
    assert "vs resting" not in panel.gauge.format() and np.isnan(panel.fall[-1])
    assert mood_sign(0.0, 0, -0.3, 0.0, turned=True) == 0  # nobody counted: grey, whatever the alert


def test_a_box_that_left_the_frame_never_gets_a_black_thumbnail(qtbot):
    from emotion_monitor.gui.people_panel import PeoplePanel
    from emotion_monitor.types import Track

    panel = PeoplePanel()
    qtbot.addWidget(panel)
    image = np.full((100, 200, 3), 200, np.uint8)
    p = np.full(7, 1 / 7, np.float32)
    out = Track(4, np.array([190, 20, 260, 90], np.float32), p, p)  # coasting out: 10 of its 70 px in view
    icon = panel._icon(out, image, 0.0)
    pix = icon.pixmap(16, 16).toImage()
    assert pix.pixelColor(8, 8).lightness() > 100  # the grey square, not black
    inside = Track(4, np.array([20, 20, 90, 90], np.float32), p, p)
    panel._icon(inside, image, 1.0)
    again = panel._icon(out, image, 2.0).pixmap(16, 16).toImage()  # out again: the last cut stays
    assert again.pixelColor(8, 8).lightness() > 150


@pytest.mark.parametrize("faces,title", [(0, "Mood: no face counted"), (1, "Mood read from 1 face"),
                                         (2, "Mood read from 2 faces"), (7, "Mood read from 7 faces")])
def test_the_heading_counts_the_faces_the_mood_is_read_from(qtbot, faces, title):
    from emotion_monitor.gui.mood_panel import MoodPanel

    panel = MoodPanel(-0.3)
    qtbot.addWidget(panel)
    panel.show_result(result(0, 3))
    panel.show_result(result(1, faces))
    assert panel.title.text() == title


def test_the_alert_bar_wears_alert_red_only_while_an_alert_is_on_and_the_legend_leaves_the_line_free(qtbot):
    """#52 item 4: red means an alert. The bar is drawn in the plot's ink until an alert starts, in alert red
    while it lasts, and in ink again once it clears; the legend sits in a band above +1, over no mood."""
    from emotion_monitor.gui.mood_panel import LEGEND_TOP, MoodPanel
    from emotion_monitor.gui.theme import ALERT

    panel = MoodPanel(-0.3)
    qtbot.addWidget(panel)

    def bar_colour():
        return panel.threshold_line.pen.color().name(), panel._bar_key.opts["pen"].color().name()

    calm = bar_colour()
    assert ALERT not in calm
    for index, on in ((0, False), (1, True), (2, True), (3, False), (4, False)):
        frame = Frame(np.zeros((4, 4, 3), np.uint8), index, 1e9 + index / 25, index / 25, "clip")
        panel.show_result(FrameResult(frame, Detections(), (), MoodState(-0.5, 0.0, 3, on, reason="group")))
        assert bar_colour() == ((ALERT, ALERT) if on else calm)
    top = panel.timeline.getViewBox().viewRange()[1][1]  # after data came: the range holds
    assert LEGEND_TOP > 1 and top == pytest.approx(LEGEND_TOP)
    assert [v for v, _ in panel.timeline.getAxis("left")._tickLevels[0]] == [-1, -0.5, 0, 0.5, 1]
