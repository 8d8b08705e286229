"""The alert's rule (mood.py, resting.py) through ``MoodMonitor`` with its default settings, one person at a
camera as well as a group: an ALERT only on a turn, never on a level; marks that say only what was read;
clearing that reads the present. The scenarios of issue #48 are named tests (a-e)."""

from __future__ import annotations

import numpy as np
import pytest

from emotion_monitor.mood import MoodConfig, MoodMonitor, face_score, format_mood, unhappy_odds
from emotion_monitor.resting import READ_UNHAPPY
from emotion_monitor.types import LABELS, Track

FPS = 15.0  # readings a second, as the app reads a webcam


def mix(**shares: float) -> np.ndarray:
    p = np.zeros(len(LABELS), np.float32)
    for label, v in shares.items():
        p[LABELS.index(label)] = v
    return p / p.sum()


def level(s: float) -> np.ndarray:
    """Probabilities whose face score is ``s`` (-1..+1), the top label sad (s < 0) or happy (s >= 0)."""
    return mix(sad=(1 - s) / 2 + 1e-6, happy=(1 + s) / 2 + 1e-6)


NEUTRAL = mix(neutral=0.9, sad=0.06, angry=0.02, happy=0.02)  # a calm face as a FER+ model reads it
HAPPY = mix(happy=0.9, neutral=0.08, sad=0.02)
RESTING_SAD = mix(sad=0.6, neutral=0.33, angry=0.05, happy=0.02)  # -0.63: lowered brows, eyes on a screen


def track(pid: int, probs: np.ndarray, box=None, quality: str = "ok") -> Track:
    x = 120.0 * pid
    xyxy = np.array(box if box is not None else [x, 100, x + 80, 180], np.float32)
    return Track(pid, xyxy, probs, probs, quality=quality)


def play(plan, seconds: float, config: MoodConfig | None = None, fps: float = FPS, monitor: MoodMonitor | None = None,
         t0: float = 0.0):
    """``plan(t)`` -> [Track]; returns (monitor, [(t, MoodState)])."""
    m = monitor or MoodMonitor(config)
    out = []
    for k in range(int(round(seconds * fps))):
        t = t0 + k / fps
        out.append((t, m.update(plan(t), t)))
    return m, out


def events(states):
    return [(round(t, 2), s.event, s.reason, s.who) for t, s in states if s.event]


def group(n: int = 4, probs: np.ndarray = NEUTRAL) -> list[Track]:
    return [track(i, probs) for i in range(1, n + 1)]


# --- issue #48's scenarios, default settings ---------------------------------------------------------

def test_a_one_calm_person_alone_whose_resting_face_reads_sad_never_alerts_in_ten_minutes():
    _, states = play(lambda t: [track(1, level(-0.53))], 600.0)
    assert events(states) == []
    last = states[-1][1]
    assert last.score == pytest.approx(-0.53, abs=0.01)  # what the face reads is shown as read
    assert last.vs_rest == pytest.approx(0.0, abs=1e-6) and [p.state for p in last.people] == ["at rest"]
    assert last.marked == (1,)  # read unhappy from the start: marked, never alerted


def test_b_one_person_alone_happy_for_a_minute_then_neutral_for_nine_never_alerts():
    _, states = play(lambda t: [track(1, HAPPY if t < 60.0 else NEUTRAL)], 600.0)
    assert events(states) == [] and not states[-1][1].marked


def test_c_one_of_five_turns_alerts_within_6_s_and_clears_within_6_s_of_the_return():
    def plan(t):
        return group(4) + [track(5, level(-0.6) if 30.0 <= t < 60.0 else NEUTRAL)]

    _, states = play(plan, 90.0)
    ev = events(states)
    assert [e[1:3] for e in ev] == [("alert", "turned"), ("clear", None)]
    assert 30.0 < ev[0][0] <= 36.0 and ev[0][3] == (5,)
    assert 60.0 < ev[1][0] <= 66.0


def test_d_a_face_resting_at_sad_turning_to_the_worst_reading_alerts_within_6_s_in_company():
    def plan(t):
        return group(4) + [track(5, mix(sad=0.9, angry=0.1) if t >= 30.0 else mix(sad=0.65, neutral=0.35))]

    _, states = play(plan, 45.0)
    ev = events(states)
    assert ev and ev[0][1:4] == ("alert", "turned", (5,)) and 30.0 < ev[0][0] <= 36.0


def test_e_the_turned_person_out_of_view_for_2_5_s_mid_alert_keeps_one_alert_not_cleared_and_muted():
    def plan(t):
        person = [] if 40.0 <= t < 42.5 else [track(5, level(-0.6) if 30.0 <= t < 60.0 else NEUTRAL)]
        return group(4) + person

    _, states = play(plan, 90.0)
    ev = events(states)
    assert [e[1] for e in ev] == ["alert", "clear"] and ev[1][0] > 60.0
    assert all(s.alert for t, s in states if ev[0][0] <= t < 60.0)


def test_e_alone_the_same_person_alone_keeps_their_alert_through_a_2_5_s_look_away():
    def plan(t):
        return [] if 40.0 <= t < 42.5 else [track(5, level(-0.6) if 30.0 <= t < 60.0 else NEUTRAL)]

    _, states = play(plan, 90.0)
    assert [e[1] for e in events(states)] == ["alert", "clear"]
    assert 60.0 < events(states)[1][0] <= 66.0


# --- one rule whatever the company --------------------------------------------------------------------

def test_a_person_alone_turns_as_they_would_in_a_group():
    def person(t):
        return track(5, level(-0.6) if t >= 20.0 else NEUTRAL)

    _, alone = play(lambda t: [person(t)], 40.0)
    _, crowd = play(lambda t: group(4) + [person(t)], 40.0)
    assert [e[:3] for e in events(alone)] == [e[:3] for e in events(crowd)]
    assert [(t, [(p.track_id, p.state, p.rise) for p in s.people if p.track_id == 5]) for t, s in alone] == \
        [(t, [(p.track_id, p.state, p.rise) for p in s.people if p.track_id == 5]) for t, s in crowd]


def test_an_unhappy_face_reads_unhappy_from_the_start_marked_with_its_reading_alone_or_in_company():
    for company in ([], group(4)):
        _, states = play(lambda t, c=company: c + [track(5, mix(sad=0.8, angry=0.2))], 60.0)
        assert events(states) == []
        first = next(t for t, s in states if 5 in s.marked)
        assert first == pytest.approx(3.0, abs=0.2) and all(5 in s.marked for t, s in states if t > first)
    # a box that jumps in their first seconds (the detector's box on a small face at 360p) is still first seen
    _, states = play(lambda t: [track(5, mix(sad=0.8, angry=0.2), [0, 0, 30, 30] if t < 1.0 else [200, 0, 230, 30])], 10.0)
    assert any(5 in s.marked for _, s in states)
    assert READ_UNHAPPY == "read unhappy when first seen"  # the words claim only the reading


@pytest.mark.parametrize("how", ["back after FORGET", "box jumped"])
def test_an_id_met_again_is_not_marked_as_first_seen(how):
    """The mark says "when first seen": an id the alert met over FORGET seconds before (back after FORGET seconds
    unseen, or its box jumped a face width: someone else wears it now) reading unhappy while learned again is
    not marked; a new id that reads so is, at the same moment of its learning."""
    from emotion_monitor.resting import FORGET

    unhappy = mix(sad=0.8, angry=0.2)
    calm = FORGET + 2.0
    again = calm + (FORGET + 1.0 if how == "back after FORGET" else 0.0)
    far = [400, 100, 480, 180] if how == "box jumped" else None

    def plan(t):
        if t < calm:
            return [track(1, NEUTRAL)]
        if t < again:
            return []
        return [track(1, unhappy, far), track(2, unhappy)]

    _, states = play(plan, again + 8.0)
    later = [s for t, s in states if t >= again + 4.0]
    assert later and all(1 not in s.marked and 2 in s.marked for s in later)
    assert all(1 not in s.marked for _, s in states)


@pytest.mark.parametrize("n", [1, 4])
@pytest.mark.parametrize("missed,along,same", [(0.0, 1.2, False), (0.4, 1.2, True), (1.0, 2.5, True),
                                               (0.4, 6.0, False), (5.0, 9.0, False)])
def test_a_walker_found_again_along_their_way_is_the_same_person_alone_or_in_company(n, missed, along, same):
    """A face missed for ``missed`` seconds and found ``along`` face widths on: within a walker's reach of the
    time missed (resting.WALK) they keep their state, their mark too; a jump between two frames in a row, or
    further than a walk, is someone else wearing the id (learned anew, not marked as first seen later on)."""
    from emotion_monitor.resting import FORGET

    unhappy = mix(sad=0.8, angry=0.2)
    seen = FORGET + 2.0  # the mark is given in the id's first FORGET seconds only

    def plan(t):
        x = 120.0 * 5 + (80.0 * along if t >= seen + missed else 0.0)
        walker = [track(5, unhappy, [x, 100, x + 80, 180])] if not seen <= t < seen + missed else []
        return group(n - 1) + walker

    monitor, states = play(plan, seen + missed + 6.0)
    after = [s for t, s in states if t >= seen + missed]
    assert all(5 in s.marked for t, s in states if seen - 1.0 <= t < seen)
    assert all((5 in s.marked) == same for s in after)
    walker = monitor.resting.person(5)
    assert (walker.first < seen) == same  # the same person, or a new one since they were found


def test_what_is_kept_of_ids_met_stays_bounded_over_a_shift_and_old_ids_stay_met():
    """A shift hands out thousands of ids: when each was first met is kept only while it may matter (FORGET
    seconds), yet an old id seen again is still not "first seen"."""
    from emotion_monitor.resting import FORGET

    m, _ = play(lambda t: [track(1 + int(t), NEUTRAL)], 300.0)  # a new person every second, 300 in all
    assert len(m.resting._met) <= FORGET + 3
    _, states = play(lambda t: [track(7, mix(sad=0.8, angry=0.2))], 8.0, monitor=m, t0=300.0)
    assert not any(7 in s.marked for _, s in states)


def test_a_face_read_neutral_whose_unhappy_share_rises_is_a_turn():
    """The posed angry faces a 48x48 model reads "neutral" (p(unhappy) about 0.25) score 0, yet turn."""
    angry_read_neutral = mix(neutral=0.7, angry=0.2, sad=0.08, happy=0.02)
    assert face_score(angry_read_neutral)[0] == 0.0
    calm = mix(neutral=0.97, sad=0.02, happy=0.01)
    _, states = play(lambda t: group(3) + [track(4, angry_read_neutral if t >= 20.0 else calm)], 30.0)
    ev = events(states)
    assert ev and ev[0][1:4] == ("alert", "turned", (4,)) and ev[0][0] <= 26.0


def test_the_alerts_words_give_what_the_person_reads_now_and_at_rest_alone_or_in_company():
    """A new user saw "#1 ALERT neutral 71%" beside "turned: reads well below their own resting face": the words
    now give the share the alert judged, the reading's angry + disgust + fear + sad, now and at rest."""
    from emotion_monitor.mood import banner_text, why_text

    angry_read_neutral = mix(neutral=0.7, angry=0.2, sad=0.08, happy=0.02)  # unhappy 0.28, its top label neutral
    calm = mix(neutral=0.97, sad=0.02, happy=0.01)  # unhappy 0.02
    for company in (0, 3):
        _, states = play(lambda t, n=company: group(n) + [track(4, angry_read_neutral if t >= 20.0 else calm)], 30.0)
        alert = next(s for _, s in states if s.event == "alert")
        assert why_text(alert.reason, alert.who, alert.people) == "#4 turned: reads unhappy 28% (2% at rest)"
        assert ": #4 turned: reads unhappy 28% (2% at rest); mood " in banner_text(alert, "cam")
        assert why_text(alert.reason, alert.who) == "#4 turned: reads well below their own resting face"  # no reading
    both = play(lambda t: [track(4, angry_read_neutral if t >= 20 else calm), track(6, level(-0.6) if t >= 20 else calm)],
                30.0)[1]
    alert = next(s for _, s in both if s.event == "alert")
    assert why_text(alert.reason, alert.who, alert.people) in (
        "#4, #6 turned: #4 reads unhappy 28% (2% at rest), #6 80% (2% at rest)",
        "#6, #4 turned: #6 reads unhappy 80% (2% at rest), #4 28% (2% at rest)")


def test_the_log_odds_do_not_saturate_where_the_score_does():
    rest, worst = unhappy_odds(np.stack([mix(sad=0.65, neutral=0.35), mix(sad=0.9, angry=0.1)]))
    assert face_score(mix(sad=0.9, angry=0.1))[0] == -1.0 and (worst - rest > 1.5).all()  # both rise
    happy, calm = unhappy_odds(np.stack([HAPPY, NEUTRAL]))
    assert calm[1] < happy[1]  # a smile fading to a calm face: against calm, the odds fall (not a turn)
    assert calm[0] > happy[0]  # a calm face smiling: against every other reading, they fall (not a turn)


def test_a_calm_face_that_smiles_and_a_smile_that_fades_are_no_turns_alone_or_in_company():
    residual = mix(happy=0.88, angry=0.02, disgust=0.02, fear=0.02, sad=0.02, neutral=0.02, surprise=0.02)
    for company in ([], group(3)):
        _, states = play(lambda t, c=company: c + [track(9, NEUTRAL if t < 10.0 or t >= 40.0 else residual)], 60.0)
        assert events(states) == [] and {p.state for p in states[-1][1].people} == {"at rest"}


def test_the_group_rule_alerts_on_a_group_fall_and_not_on_a_group_level():
    glum = mix(sad=0.5, neutral=0.4, happy=0.1)  # -0.4
    no_turns = MoodConfig(turn=10.0)  # the group's rule alone
    _, level_states = play(lambda t: group(5, glum), 120.0, no_turns)
    assert events(level_states) == []  # five glum faces from the start: a level
    _, states = play(lambda t: group(5, glum if t >= 20.0 else NEUTRAL), 60.0, no_turns)
    ev = events(states)
    # the 10-s window's mean crosses -0.3 at 27.5 s, then 5 s below it
    assert ev[0][1:3] == ("alert", "group") and 32.0 <= ev[0][0] <= 33.0
    assert set(ev[0][3]) == {1, 2, 3, 4, 5}


def test_every_person_behind_an_alert_is_named_those_who_join_it_too():
    def plan(t):
        return group(3) + [track(4, level(-0.8) if t >= 20.0 else NEUTRAL), track(5, level(-0.8) if t >= 30.0 else NEUTRAL)]

    _, states = play(lambda t: plan(t) if t < 40.0 else group(5), 50.0)
    assert events(states)[0][3] == (4,)
    during = [s for t, s in states if t < 40.0][-1]
    assert during.who == (4, 5) and during.alert_score is not None
    clear = next(s for t, s in states if s.event == "clear")  # the clear names everyone who was behind it
    assert clear.cleared == (4, 5) and clear.who == () and not clear.alert


def test_clearing_needs_everyone_who_turned_back_and_a_person_who_turns_again_is_never_muted():
    def plan(t):
        turned = 20.0 <= t < 30.0 or 36.0 <= t < 50.0
        return group(3) + [track(4, level(-0.8) if turned else NEUTRAL)]

    _, states = play(plan, 60.0)
    ev = events(states)
    assert [e[1] for e in ev] == ["alert", "clear", "alert", "clear"]  # the second turn, 6 s after a clear
    assert 36.0 < ev[2][0] <= 42.0


def test_the_group_rule_is_muted_for_the_cooldown_after_a_clear():
    glum = mix(sad=0.5, neutral=0.4, happy=0.1)
    cfg = MoodConfig(turn=10.0, cooldown=30.0)

    def plan(t):
        return group(5, glum if 20.0 <= t < 40.0 or t >= 50.0 else NEUTRAL)

    _, states = play(plan, 100.0, cfg)
    alerts = [e[0] for e in events(states) if e[1] == "alert"]
    clear = next(e[0] for e in events(states) if e[1] == "clear")
    assert len(alerts) == 2 and alerts[1] >= clear + 30.0


def test_a_lone_person_leaving_mid_alert_clears_it_after_the_gap():
    _, states = play(lambda t: [track(1, level(-0.8) if t >= 10.0 else NEUTRAL)] if t < 20.0 else [], 30.0)
    ev = events(states)
    assert [e[1] for e in ev] == ["alert", "clear"] and 22.0 < ev[1][0] <= 26.0


def test_what_faces_read_and_what_is_judged_are_apart_and_learning_counts_people():
    _, states = play(lambda t: [track(1, RESTING_SAD), track(2, NEUTRAL)], 10.0)
    first, last = states[0][1], states[-1][1]
    assert first.learning == 2 and first.moving == 0
    assert format_mood(first.score, first.learning, first.faces, first.moving).endswith("(2 of 2 not judged yet: 2 learning)")
    assert last.learning == 0 and last.score == pytest.approx(float(face_score(RESTING_SAD)[0]) / 2, abs=0.01)
    assert {p.state for p in last.people} == {"at rest"}


@pytest.mark.parametrize("n", [1, 2, 5])
def test_nobody_judged_is_no_fall_of_0_alone_or_in_company(n):
    """#52 item 3: while every counted person's resting face is being learned, what the alert judges is not
    known (``vs_rest`` None: the window draws no orange line and says no "+0.00 vs resting faces"); once one is
    judged it is, and a newcomer still learning beside them does not take it away."""
    _, states = play(lambda t: [track(i, RESTING_SAD) for i in range(1, n + 1)]
                     + ([track(n + 1, NEUTRAL)] if t >= 6.0 else []), 8.0)
    learning = [s for t, s in states if t < 3.9]
    judged = [s for t, s in states if t > 4.1]
    assert learning and all(s.learning == n and s.vs_rest is None for s in learning)
    assert judged and all(s.vs_rest == pytest.approx(0.0, abs=1e-6) for s in judged)
    assert any(s.learning == 1 for s in judged)  # the newcomer, learning beside people judged


def test_each_person_shows_how_far_they_are_from_a_turn_on_one_scale_with_its_own_sign():
    """The people panel's words (#52 item 3): a share of a turn, 100% where a turn starts, never a log-odds
    "+7.0 vs rest" beside the group's "-0.83 vs resting faces"; a person who turns passes 100% as they do."""
    import re

    from emotion_monitor.gui.people_panel import judged_text
    from emotion_monitor.resting import BACK

    calm = [track(2, NEUTRAL, [500, 0, 560, 60])]
    _, states = play(lambda t: calm + [track(1, NEUTRAL if t < 6.0 else level(-1.0), [0, 0, 30, 30])], 21.0)
    seen = [p for _, st in states for p in st.people if p.track_id == 1]
    turned = [p for p in seen if p.state == "turned"]
    assert turned and turned[0].share >= 1.0 and all(p.share >= BACK for p in turned)
    assert all(p.share < 1.0 for p in seen[:seen.index(turned[0])] if p.share is not None)
    for p in seen:
        text = judged_text(p)
        if p.share is None:
            assert text in ("learning resting face", "moving: learning again") and "vs" not in text
        else:
            shown = re.fullmatch(rf"{p.state}: (\d+)% of a turn", text)
            assert shown and abs(int(shown[1]) - 100 * max(p.share, 0.0)) <= 0.5 + 1e-9, text


def test_a_face_walking_closer_is_learned_again_and_raises_no_turn():
    calm = [track(2, NEUTRAL, [500, 0, 560, 60])]
    for near in ([45, 10, 105, 70], [0, 0, 70, 70]):  # walked closer across the frame; or straight on, past 2x
        _, states = play(lambda t, n=near: calm + [track(1, NEUTRAL if t < 6.0 else level(-1.0),
                                                        [0, 0, 30, 30] if t < 6.0 else n)], 21.0)
        assert events(states) == [], near
    _, states = play(lambda t: calm + [track(1, NEUTRAL if t < 6.0 else level(-1.0), [0, 0, 30, 30])], 21.0)
    assert events(states)[0][1:3] == ("alert", "turned")


def test_the_count_not_judged_and_the_people_panel_say_the_same_in_the_same_words():
    """A helper read "learning 3 of 6" beside a panel with one person learning: the count took in people
    learned again after they moved, the panel called them "moved". Now both say "learning" and "moving", frame by
    frame, for a walker, one who stands and one who arrives late."""
    from emotion_monitor.gui.people_panel import judged_text

    def plan(t):
        x = 30.0 * t  # a face width a second
        walker = track(1, NEUTRAL, [x, 0, x + 30, 30])
        late = [track(3, NEUTRAL, [300, 200, 340, 240])] if t >= 8.0 else []
        return [walker, track(2, NEUTRAL, [500, 0, 560, 60])] + late

    _, states = play(plan, 14.0)
    said = set()
    for _, m in states:
        words = [judged_text(p).split()[0].rstrip(":") for p in m.people]
        assert m.learning == words.count("learning") + words.count("moving") and m.moving == words.count("moving")
        line = format_mood(m.score, m.learning, m.faces, m.moving)
        for word in ("learning", "moving"):
            assert (f"{words.count(word)} {word}" in line) == (word in words), (line, words)
        assert ("not judged" in line) == bool(m.learning)
        said.add(line.partition("(")[2])
    assert {"1 of 3 not judged yet: 1 moving)", "2 of 3 not judged yet: 1 learning, 1 moving)", ""} <= said


def test_a_turn_must_stand_out_of_the_persons_own_spread():
    flicker = [level(-0.9), NEUTRAL]  # reads sad and neutral by turns at rest: a wide spread

    def plan(t):
        spec = mix(sad=0.8, neutral=0.2) if t >= 20.0 else flicker[int(t * 5 / 3) % 2]
        return [track(1, spec), track(2, NEUTRAL)]

    _, states = play(plan, 40.0)
    assert events(states) == []


def test_faces_failing_the_quality_gate_leave_the_mood():
    _, states = play(lambda t: [track(1, level(-1.0), quality="dark")], 10.0)
    assert all(s.faces == 0 and s.score == 0.0 and not s.alert and s.vs_rest is None for _, s in states)


def test_the_trend_is_per_minute_of_what_faces_read():
    _, states = play(lambda t: [track(1, level(1.0 - t / 3.0))], 6.0, MoodConfig(window=30.0))
    assert states[-1][1].trend < -5  # -2 over 6 s: -20 a minute


def test_a_turn_flickering_just_under_its_bar_is_held_and_one_back_near_rest_is_not():
    """A real unhappy face read by a 48x48 model hovers about the bar (the desk set's turn: +1.3 to +1.8): the
    hold runs while the person stays turned (above half the bar), and restarts once they are back near rest."""
    above = mix(neutral=0.66, angry=0.2, sad=0.12, happy=0.02)  # +1.6 above NEUTRAL's log-odds, both ways
    under = mix(neutral=0.76, angry=0.14, sad=0.08, happy=0.02)  # +1.1: under the bar, above half of it
    _, states = play(lambda t: group(3) + [track(4, NEUTRAL if t < 10.0 else (above, under)[int(t / 0.4) % 2])], 20.0)
    ev = events(states)
    assert ev and ev[0][1:4] == ("alert", "turned", (4,)) and 10.0 < ev[0][0] <= 14.0
    calmish = mix(neutral=0.86, angry=0.08, sad=0.04, happy=0.02)  # +0.4: back near rest between the peaks
    _, states = play(lambda t: group(3) + [track(4, NEUTRAL if t < 10.0 else (above, calmish)[int(t / 0.4) % 2])], 30.0)
    assert events(states) == []
