"""YuNet with landmarks, crops framed and levelled like FER2013, and the face-quality gate."""

import cv2
import numpy as np
import pytest

from emotion_monitor.crops import crop_faces, framed_squares, roll_degrees
from emotion_monitor.detection import YuNetDetector
from emotion_monitor.quality import QualityGate
from emotion_monitor.types import Detections


@pytest.fixture(scope="module")
def portrait(astronaut_bgr):
    img = np.full((540, 960, 3), 110, np.uint8)
    img[100:400, 300:550] = astronaut_bgr[0:300, 100:350]
    return img


def test_yunet_finds_the_face_with_five_landmarks_in_order(portrait):
    d = YuNetDetector(every=1)(portrait)
    assert len(d) == 1
    x0, y0, x1, y1 = d.xyxy[0]
    lm = d.landmarks[0]
    assert np.isfinite(lm).all() and (x0 <= lm[:, 0]).all() and (lm[:, 0] <= x1).all()
    assert (y0 <= lm[:, 1]).all() and (lm[:, 1] <= y1).all()
    eyes_y, nose_y, mouth_y = lm[:2, 1].mean(), lm[2, 1], lm[3:, 1].mean()
    assert eyes_y < nose_y < mouth_y


def test_yunet_searches_every_k_frames_and_scales_boxes_back(portrait):
    det = YuNetDetector(every=3, max_width=480)  # detection at half size
    found = [len(det(portrait)) for _ in range(6)]
    assert found == [1, 0, 0, 1, 0, 0]
    full = YuNetDetector(every=1)(portrait)
    half = YuNetDetector(every=1, max_width=480)(portrait)
    assert np.abs(full.xyxy - half.xyxy).max() < 0.15 * (full.xyxy[0, 2] - full.xyxy[0, 0])


def test_a_tilted_face_is_levelled_by_its_eye_line(portrait):
    d = YuNetDetector(every=1)(portrait)
    upright = crop_faces(portrait, d)[0]
    c = tuple(float(v) for v in ((d.xyxy[0, :2] + d.xyxy[0, 2:]) / 2))
    m = cv2.getRotationMatrix2D(c, 20.0, 1.0)  # the whole frame turned 20 degrees about the face
    tilted = cv2.warpAffine(portrait, m, (portrait.shape[1], portrait.shape[0]), borderMode=cv2.BORDER_REPLICATE)
    dt = YuNetDetector(every=1)(tilted)
    # turning the image 20 degrees anticlockwise turns the eye line by -20 degrees (y down); YuNet's
    # landmarks see about half of a roll (measured 0/10/20/30 degrees -> 0/4.8/9.5/15.3 on this face)
    assert -14 < roll_degrees(dt.landmarks)[0] - roll_degrees(d.landmarks)[0] < -6
    levelled = crop_faces(tilted, dt)[0].astype(np.float32)
    unlevelled = crop_faces(tilted, Detections(dt.xyxy, dt.confidence))  # no landmarks: no levelling
    diff_levelled = np.abs(levelled - upright).mean()
    assert diff_levelled < 0.7 * np.abs(cv2.resize(unlevelled[0], (48, 48)).astype(np.float32) - upright).mean()


def test_the_crop_square_matches_fer2013s_framing():
    centres, sides = framed_squares(np.array([[100, 100, 178.5, 200.5]]))
    assert centres[0] == pytest.approx([139.25, 150.25])
    assert sides[0] == pytest.approx(100, rel=0.01)  # 78.5 / 0.785 and 100.5 / 1.005


def test_the_quality_gate_names_the_first_reason(portrait):
    d = YuNetDetector(every=1)(portrait)
    gate = QualityGate()
    crops = crop_faces(portrait, d)
    assert gate.assess(d, crops) == ["ok"]
    assert gate.assess(d, (crops * 0.2).astype(np.uint8)) == ["dark"]
    assert gate.assess(d, np.full_like(crops, 128)) == ["flat"]
    assert gate.assess(d, cv2.GaussianBlur(crops[0], (0, 0), 4)[None]) == ["blurred"]
    small = Detections(d.xyxy * 0.1, d.confidence, d.landmarks * 0.1)
    assert gate.assess(small, crops) == ["small"]
    turned = d.landmarks.copy()
    turned[0, 2, 0] = turned[0, 1, 0] + 5  # nose tip beyond the far eye: a profile
    assert gate.assess(Detections(d.xyxy, d.confidence, turned), crops) == ["looking away"]
    assert gate.assess(Detections(d.xyxy, [0.5], d.landmarks), crops) == ["occluded"]
