import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emotion_monitor.tracking import Tracker, greedy_match, iou_matrix
from emotion_monitor.types import LABELS, Detections, Track

SAD = np.eye(7, dtype=np.float32)[LABELS.index("sad")]
HAPPY = np.eye(7, dtype=np.float32)[LABELS.index("happy")]
NEUTRAL = np.eye(7, dtype=np.float32)[LABELS.index("neutral")]


def moving_faces(i):
    """Two faces moving in opposite directions, 5 px a frame, crossing paths vertically apart."""
    a = [100 + 5 * i, 100, 160 + 5 * i, 160]
    b = [400 - 5 * i, 300, 460 - 5 * i, 360]
    return Detections([a, b], [0.9, 0.9])


def test_ids_persist_on_a_moving_sequence():
    tr = Tracker()
    ids = []
    for i in range(40):
        tracks = tr.update(moving_faces(i), np.stack([HAPPY, SAD]), i / 25)
        ids.append({t.track_id: t.xyxy[0] for t in tracks})
    first = ids[0]
    assert len(first) == 2
    for frame in ids:
        assert set(frame) == set(first)  # same two ids all along
    # the id that started on the left is still the one moving right
    left = min(first, key=first.get)
    assert ids[-1][left] > ids[0][left]


def test_ids_survive_missed_detections_and_retire_after_max_age_in_seconds():
    tr = Tracker(max_age=0.5, report_gap=0.2)  # at 10 frames a second: reported 2 frames unseen, kept 5
    tr.update(Detections([[0, 0, 50, 50]], [0.9]), HAPPY[None], 0.0)
    tid = tr.update(Detections([[2, 0, 52, 50]], [0.9]), HAPPY[None], 0.1)[0].track_id
    for t in (0.2, 0.3):
        assert [f.track_id for f in tr.update(Detections(), np.zeros((0, 7)), t)] == [tid]
    for t in (0.4, 0.5):
        assert tr.update(Detections(), np.zeros((0, 7)), t) == ()  # coasting: kept, not reported
    back = tr.update(Detections([[12, 0, 62, 50]], [0.9]), HAPPY[None], 0.6)
    assert [f.track_id for f in back] == [tid]
    for k in range(6):
        tr.update(Detections(), np.zeros((0, 7)), 0.7 + k / 10)
    new = tr.update(Detections([[12, 0, 62, 50]], [0.9]), HAPPY[None], 1.3)
    assert [f.track_id for f in new] == [tid + 1]


def test_the_same_limits_hold_at_any_frame_rate():
    for fps in (5, 30):
        tr = Tracker(max_age=1.0, report_gap=0.3)
        tr.update(Detections([[0, 0, 50, 50]], [0.9]), HAPPY[None], 0.0)
        tid = tr.update(Detections([[0, 0, 50, 50]], [0.9]), HAPPY[None], 1 / fps)[0].track_id
        frames_unseen = int(0.9 * fps)  # 0.9 s unseen: still remembered
        for k in range(frames_unseen):
            tr.update(Detections(), np.zeros((0, 7)), (2 + k) / fps)
        back = tr.update(Detections([[0, 0, 50, 50]], [0.9]), HAPPY[None], (2 + frames_unseen) / fps)
        assert [f.track_id for f in back] == [tid], fps


def test_results_never_change_after_they_are_returned():
    tr = Tracker(min_hits=1)
    first = tr.update(Detections([[0, 0, 50, 50]], [0.9]), HAPPY[None], 0.0)
    box, probs = first[0].xyxy.copy(), first[0].probs.copy()
    results = [tr.update(Detections([[5 * k, 0, 50 + 5 * k, 50]], [0.9]), SAD[None], k / 10) for k in range(1, 6)]
    assert np.array_equal(first[0].xyxy, box) and np.array_equal(first[0].probs, probs)
    assert [r[0].xyxy[0] for r in results] == [5.0, 10.0, 15.0, 20.0, 25.0]  # each frame keeps its own box
    with pytest.raises(ValueError):
        first[0].probs[0] = 1.0  # read-only arrays
    with pytest.raises(AttributeError):
        first[0].quality = "dark"  # frozen records


def test_one_frame_false_detection_is_not_reported():
    tr = Tracker(min_hits=2, sure=0.95)
    assert tr.update(Detections([[0, 0, 30, 30]], [0.6]), NEUTRAL[None]) == ()
    assert len(tr.update(Detections([[1, 0, 31, 30]], [0.6]), NEUTRAL[None])) == 1


def test_probabilities_are_smoothed_per_face():
    tr = Tracker(alpha=0.5, min_hits=1)
    box = Detections([[0, 0, 50, 50]], [0.9])
    tr.update(box, HAPPY[None])
    t = tr.update(box, SAD[None])[0]
    assert t.probs[LABELS.index("happy")] == pytest.approx(0.5)
    assert t.probs[LABELS.index("sad")] == pytest.approx(0.5)
    assert t.probs.sum() == pytest.approx(1)
    assert np.array_equal(t.raw_probs, SAD)


def test_greedy_matching_prefers_the_best_overlap():
    iou = iou_matrix([[0, 0, 10, 10], [20, 0, 30, 10]], [[21, 0, 31, 10], [1, 0, 11, 10]])
    assert sorted(greedy_match(iou, 0.2)) == [(0, 1), (1, 0)]
    # two faces compete for one detection: the best pair is taken first, whatever the order of rows
    score = np.array([[0.5, 0.4], [0.9, 0.0]])  # row by row would give face 0 the first box, face 1 nothing
    assert sorted(greedy_match(score, 0.2)) == [(0, 1), (1, 0)]
    assert greedy_match(np.array([[0.5, 0.1], [0.9, 0.1]]), 0.2) == [(1, 0)]  # the loser gets no box below 0.2


def _feat(seed, d=16):
    v = np.random.default_rng(seed).normal(size=d).astype(np.float32)
    return v / np.linalg.norm(v)


def test_a_fast_walker_keeps_its_id_though_its_box_jumps_past_its_width():
    """The crowd clip's profile face: 95 px wide, 76 px further on each detector pass (every 2nd
    frame), frames between without detections. IoU alone gave it a new id every pass."""
    tr = Tracker()
    ids = set()
    for i in range(30):
        x = 38 * i
        dets = Detections([[x, 100, x + 95, 230]], [0.9]) if i % 2 == 0 else Detections()
        probs = NEUTRAL[None] if len(dets) else np.zeros((0, 7))
        ids |= {t.track_id for t in tr.update(dets, probs, i / 25)}
    assert ids == {1}


def test_a_face_back_after_seconds_is_recognised_by_appearance_and_a_stranger_is_not():
    tr = Tracker(motion_gap=0.6, max_age=8.0)
    a, b = _feat(1), _feat(2)
    for i in range(5):
        tracks = tr.update(Detections([[100, 100, 160, 170]], [0.9]), NEUTRAL[None], i / 10, features=a[None])
    (first,) = tracks
    for i in range(30):  # 3 s out of sight (turned away, behind someone)
        tr.update(Detections(), np.zeros((0, 7)), 0.5 + i / 10)
    # a stranger stands where the face was, and the face comes back a little to the side
    back = tr.update(Detections([[102, 100, 162, 170], [170, 104, 230, 174]], [0.9, 0.9]),
                     np.stack([NEUTRAL, NEUTRAL]), 3.6, features=np.stack([b, a * 0.95 + b * 0.05]))
    by_x = {t.xyxy[0]: t.track_id for t in back}
    assert by_x[170.0] == first.track_id and by_x[102.0] != first.track_id


def test_ids_are_given_only_to_confirmed_faces():
    tr = Tracker(min_hits=3, sure=0.95)
    for k in range(5):  # five one-frame false detections at other places
        tr.update(Detections([[300 * k, 0, 300 * k + 30, 30]], [0.6]), NEUTRAL[None], k / 10)
    for k in range(3):
        tracks = tr.update(Detections([[10, 400, 60, 460]], [0.6]), NEUTRAL[None], 1 + k / 10)
    assert [t.track_id for t in tracks] == [1] and tr.ids_issued == 1


def test_one_box_per_head_a_coasting_face_under_a_detected_one_is_not_reported():
    tr = Tracker()
    for i in range(4):  # one person stands, another walks towards them, 20 px a frame
        x = 100 - 20 * i
        tr.update(Detections([[0, 0, 50, 50], [x, 0, x + 50, 50]], [0.9, 0.9]), np.stack([HAPPY, SAD]), i / 25)
    # the walker passes behind the one standing: one detection, the walker's predicted box on that head
    shown = tr.update(Detections([[0, 0, 50, 50]], [0.9]), HAPPY[None], 4 / 25)
    assert [t.xyxy[0] for t in shown] == [0.0]
    assert len(tr.predicted_boxes()) == 2  # still remembered, for when the walker comes out


def test_one_matching_a_frame_when_a_crowd_exceeds_the_budget(monkeypatch):
    tr = Tracker()
    calls = []
    real = Tracker._associate
    monkeypatch.setattr(Tracker, "_associate", lambda self, *a: calls.append(1) or real(self, *a))
    dets = moving_faces(0)
    tr.update(dets, np.stack([HAPPY, SAD]), 0.0)
    calls.clear()
    dets = moving_faces(1)
    tr.staleness(dets, 0.04)
    tr.update(dets, np.stack([HAPPY, SAD]), 0.04)
    assert len(calls) == 1


def test_appearance_is_computed_only_for_the_faces_that_need_it():
    asked = []

    def features(idx):
        asked.append(list(idx))
        return np.stack([_feat(10 + i) for i in idx])

    tr = Tracker(refresh=0.5)
    for i in range(25):  # two faces followed for a second at 25 fps: a descriptor each on arrival and
        tr.update(moving_faces(i), np.stack([HAPPY, SAD]), i / 25, features=features)  # once at 0.52 s
    assert sum(len(a) for a in asked) == 2 + 2  # not 50


def test_a_weak_box_continues_a_face_but_starts_none():
    tr = Tracker(strong=0.6)
    for i in range(3):
        tr.update(Detections([[100 + 4 * i, 100, 160 + 4 * i, 160]], [0.9]), HAPPY[None], i / 25)
    weak = Detections([[112, 100, 172, 160], [400, 400, 460, 460]], [0.4, 0.4])  # blurred face; a stray box
    keep = tr.admit(weak, 3 / 25)
    assert keep.tolist() == [True, False]
    shown = tr.update(weak[keep], HAPPY[None], 3 / 25)
    assert [t.track_id for t in shown] == [1] and shown[0].xyxy[0] == 112
    later = tr.update(Detections([[400, 400, 460, 460]], [0.4]), HAPPY[None], 4 / 25)
    assert [(t.track_id, t.missed) for t in later] == [(1, 1)]  # the face coasts; the stray box is no one
    assert len(tr.predicted_boxes()) == 1


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(-20, 660), st.integers(-20, 500), st.integers(8, 120), st.integers(8, 120),
                          st.integers(20, 320), st.integers(12, 30)), min_size=1, max_size=30))
def test_a_placed_label_covers_no_other_face_and_no_other_label_wherever_the_faces_stand(faces):
    """#52 item 6, over any crowd (boxes running off the frame, touching, stacked): every label placed lies in
    the frame, covers no other face and no other label; a full label not its own face either (the id alone may
    sit inside its own top edge); a face alone in the frame always gets a label."""
    from emotion_monitor.overlay import place_choices

    boxes = np.array([(x, y, x + w, y + h) for x, y, w, h, _, _ in faces], np.float32)
    choices = [[(lw, lh), (26, lh)] for *_, lw, lh in faces]
    spots = place_choices(boxes, choices, 640, 480)
    rects = [(i, k, (x, y, x + choices[i][k][0], y + choices[i][k][1])) for i, p in enumerate(spots) if p
             for x, y, k in [p]]
    inside = lambda r, b: not (r[2] <= b[0] or r[0] >= b[2] or r[3] <= b[1] or r[1] >= b[3])  # noqa: E731
    faces_px = [tuple(int(round(v)) for v in b) for b in boxes]
    for n, (i, k, r) in enumerate(rects):
        assert 0 <= r[0] and 0 <= r[1] and (r[2] <= 640 or r[0] == 0) and (r[3] <= 480 or r[1] == 0)
        assert not any(inside(r, f) for j, f in enumerate(faces_px) if j != i)
        assert k == 1 or not inside(r, faces_px[i])
        assert not any(inside(r, other) for _, _, other in rects[n + 1:])
    if len(faces) == 1 and choices[0][0][0] <= 640:
        assert spots[0] is not None  # alone in the frame, a face always has its label


def test_labels_never_overlap_stay_in_the_frame_and_left_out_faces_get_their_id_alone():
    from emotion_monitor.overlay import GREY, draw, place_labels

    rng = np.random.default_rng(3)
    xy = rng.uniform(0, 600, (40, 2))
    boxes = np.concatenate([xy, xy + rng.uniform(20, 60, (40, 2))], axis=1)  # a dense, overlapping crowd
    sizes = [(int(rng.integers(60, 120)), 18) for _ in range(40)]
    spots = place_labels(boxes, sizes, 640, 480)
    rects = [(x, y, x + w, y + h) for p, (w, h) in zip(spots, sizes) if p is not None for x, y in [p]]
    assert len(rects) >= 10
    for i, (a, b, c, d) in enumerate(rects):
        assert 0 <= a and 0 <= b and c <= 640 and d <= 480
        for e, f, g, h in rects[i + 1:]:
            assert c <= e or a >= g or d <= f or b >= h  # no two labels overlap
    # the face at the right edge keeps its label inside the frame
    (spot,) = place_labels(np.array([[600.0, 200, 639, 240]]), [(100, 18)], 640, 480)
    assert spot[0] + 100 <= 640
    # a face left out of the mood: grey corner marks (not a full box, which is a face read) and its id alone on
    # grey (the people panel lists it by that id), where no read face's label covers it
    img = np.zeros((100, 200, 3), np.uint8)
    small = Track(7, np.array([50, 40, 70, 60], np.float32), SAD, SAD, quality="small")
    below = Track(8, np.array([45, 62, 75, 92], np.float32), SAD, SAD)  # its label's first choice is above it
    out = draw(img, _frame_result([small]), mood_line=False)
    for y, x in ((40, 50), (40, 70), (60, 50), (60, 70), (40, 54), (44, 50), (56, 70)):
        assert (out[y, x] == GREY).all(), (y, x)
    assert (out[40, 57:64] == 0).all() and (out[47:54, 50] == 0).all()  # the middle of each side is left open
    assert (out[42:59, 52:69] == 0).all()  # nothing inside
    label = np.argwhere((out == GREY).all(axis=2) & (np.arange(100)[:, None] < 39))
    assert len(label) > 100 and (out[:39] > 0).any(axis=2).sum() > len(label)  # a grey tag, with ink on it, above
    both = draw(img, _frame_result([small, below]), mood_line=False)
    assert (both[42:59, 52:69] == 0).all()  # #8's label went elsewhere
    # on bright footage the marks keep a dark edge (grey alone vanishes on a light wall)
    light = draw(np.full((100, 200, 3), 170, np.uint8), _frame_result([small]), mood_line=False)
    assert (light[60, 50] == GREY).all() and (light[62, 52] < 60).all() and (light[52, 48] == 170).all()


def test_an_emotions_colour_is_drawn_only_beside_its_word():
    """A read face whose whole label finds no room gets its id alone on a white tag, and a white box: a colour
    without its word (a blue tag, or a pink box, reading only "#7") said "sad" or "angry" to nobody."""
    from emotion_monitor.overlay import COLORS, draw

    sad = Track(7, np.array([20, 25, 40, 45], np.float32), SAD, SAD)
    box = np.zeros((60, 60), bool)
    box[23:48, 18:43] = True  # the box's outline and a pixel around it
    for width, whole in ((60, False), (300, True)):  # too narrow for "#7 sad 90%", and wide enough
        out = draw(np.zeros((60, width, 3), np.uint8), _frame_result([sad]), mood_line=False)
        blue = (out == COLORS["sad"]).all(axis=2)
        assert blue[25, 20:41].all() == whole  # the box's top edge in sad's colour beside the word
        assert (out[25, 20:41] == 255).all() != whole  # else white
        outside = blue.copy()
        outside[:60, :60] &= ~box
        assert outside.any() == whole, width  # a blue tag only with the word on it
        assert (((out == 255).all(axis=2) & ~np.pad(box, ((0, 0), (0, width - 60)))).sum() > 20) != whole  # a white tag


def test_the_people_behind_an_alert_and_those_marked_are_framed_and_named():
    from emotion_monitor.overlay import ALERT_RED, MARKED, draw
    from emotion_monitor.types import Frame, FrameResult, MoodState

    tracks = tuple(Track(i, np.array([x, 40, x + 40, 80], np.float32), SAD, SAD) for i, x in ((7, 20), (8, 120), (9, 220)))
    mood = MoodState(-0.4, 0.0, 3, True, reason="turned", who=(7,), marked=(8,))
    out = draw(np.zeros((120, 300, 3), np.uint8), FrameResult(Frame(np.zeros((120, 300, 3), np.uint8), 0, 0.0),
                                                               Detections(), tracks, mood), mood_line=False)
    d = 2 * 1 + 1  # the frame sits 2 * thickness + 1 px outside the box
    assert (out[60, 20 - d] == ALERT_RED).all() and (out[60, 120 - d] == MARKED).all()
    assert not (out[60, 220 - d] == ALERT_RED).all() and not (out[60, 220 - d] == MARKED).all()  # nobody's frame on #9
    calm = draw(np.zeros((120, 300, 3), np.uint8), _frame_result(tracks), mood_line=False)
    assert (calm[60, 20 - d] == 0).all()  # without an alert, no frame


def _frame_result(tracks):
    from emotion_monitor.types import Frame, FrameResult, MoodState

    return FrameResult(Frame(np.zeros((100, 200, 3), np.uint8), 0, 0.0), Detections(), tuple(tracks),
                       MoodState(0.0, 0.0, 0, False))


def test_one_box_a_head_a_box_on_the_hair_above_a_face_is_not_reported():
    """The demo clip's red-haired man had two labelled boxes, on his hair and on his face (boxes measured
    there); two people close together, side by side or one a head above the other, keep theirs."""
    from emotion_monitor.matching import on_one_head

    face, hair, hair_turned = [506, 595, 603, 709], [538, 542, 617, 645], [416, 513, 491, 608]
    assert on_one_head(np.array([face, hair], np.float32)).tolist() == [False, True]
    assert on_one_head(np.array([[444, 587, 528, 690], hair_turned], np.float32)).tolist() == [False, True]
    side_by_side = [[816, 682, 875, 759], [844, 682, 930, 789]]  # a woman half behind a boy
    behind = [[1154, 678, 1214, 752], [1121, 656, 1168, 725]]  # a bald man behind, to the side
    tall_behind = [[500, 600, 600, 710], [505, 470, 600, 578]]  # a taller person a head above, not overlapping
    hidden_chin = [[284, 707, 384, 839], [269, 616, 358, 724]]  # the crowd clip: a woman behind another's head
    for pair in (side_by_side, behind, tall_behind, hidden_chin):
        assert not on_one_head(np.array(pair, np.float32)).any(), pair
    tr = Tracker(min_hits=1)
    probs = np.full((2, 7), 1 / 7, np.float32)
    for i in range(3):
        tracks = tr.update(Detections(np.array([face, hair], np.float32) + i, np.array([0.9, 0.8], np.float32)),
                           probs, i / 25)
        assert len(tracks) == 1 and tracks[0].xyxy[1] == face[1] + i


@pytest.mark.parametrize("dx, stacked", [(0, True), (12, True), (70, False), (150, False)])
def test_a_confident_box_on_a_followed_head_waits_for_its_hits_one_beside_it_does_not(dx, stacked):
    """The demo's hair box (#52): a box centred above a followed face and touching it (hair above a bowed
    head, a hand) is numbered only after min_hits detections, however confident; a confident face beside
    the followed one (another person) is numbered at once. Flickering for two frames, the hair uses no id."""
    tr = Tracker()  # defaults: 3 hits, or one detection of confidence >= 0.7 at once
    face = [100, 200, 160, 270]
    for k in range(4):
        tr.update(Detections([face], [0.9]), NEUTRAL[None], k / 10)
    above = [100 + dx, 135, 160 + dx, 205]  # 0.9 of a face height above it, touching it
    shown = [len(tr.update(Detections([face, above], [0.9, 0.9]), NEUTRAL[None].repeat(2, 0), (4 + k) / 10))
             for k in range(3)]
    assert shown == ([1, 1, 2] if stacked else [2, 2, 2])  # delayed to its 3rd detection, never suppressed
    assert tr.ids_issued == 2
    tr2 = Tracker()
    for k in range(4):
        tr2.update(Detections([face], [0.9]), NEUTRAL[None], k / 10)
    for k in range(2):  # two frames of it, then gone
        tr2.update(Detections([face, above], [0.9, 0.9]), NEUTRAL[None].repeat(2, 0), (4 + k) / 10)
    for k in range(6, 12):
        tr2.update(Detections([face], [0.9]), NEUTRAL[None], k / 10)
    assert tr2.ids_issued == (1 if stacked else 2)
