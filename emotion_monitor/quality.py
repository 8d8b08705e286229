"""The face-quality gate: faces whose expression cannot be read stay boxed but leave the group mood.

Each face of a frame gets ``"ok"`` or the first reason that applies, in this order: ``small``
(box under ``min_height`` px: a 13-px marathon face upscaled to 48 px shows no expression),
``dark`` (mean gray level of the crop), ``flat`` (its standard deviation: fog, glare, a blank
wall), ``blurred`` (variance of the Laplacian of the 48-px crop), ``looking away`` (yaw from the
landmarks: the nose tip's offset from the eye midpoint over the eye distance, 0 frontal, about 1 in
profile) and ``occluded`` (detector score: a hand, a phone or a scarf over the face lowers it).
Defaults chosen from the face statistics of the three shared clips (see docs/benchmarks.md).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from .types import Detections

OK = "ok"
REASONS = ("small", "dark", "flat", "blurred", "looking away", "occluded")
# reasons older versions wrote, as read back from their CSVs: "turned" is now a word of the alert (a person
# whose reading turned below their resting face), never of a face's pose
LEGACY = {"turned": "looking away"}


def reason_name(value: str) -> str:
    """A quality cell of any version's CSV in today's words (``"turned"`` -> ``"looking away"``)."""
    return LEGACY.get(value, value)


@dataclass(frozen=True)
class QualityGate:
    min_height: float = 24.0  # px, box height
    min_brightness: float = 50.0  # mean gray level of the crop
    min_contrast: float = 15.0  # standard deviation of the crop's gray levels
    min_sharpness: float = 20.0  # variance of the Laplacian of the crop
    max_yaw: float = 0.5  # |nose offset| / eye distance
    min_score: float = 0.7  # detector confidence

    def assess(self, dets: Detections, crops: np.ndarray) -> list[str]:
        """"ok" or the first failing reason, one per face."""
        out = []
        for i in range(len(dets)):
            x0, y0, x1, y1 = dets.xyxy[i]
            crop = crops[i]
            lm = dets.marks[i]
            yaw = 0.0
            if np.isfinite(lm).all():
                eye_mid, eye_dist = lm[:2].mean(0), float(np.linalg.norm(lm[0] - lm[1]))
                yaw = abs(float(lm[2, 0] - eye_mid[0])) / max(eye_dist, 1e-3)
            if y1 - y0 < self.min_height:
                out.append("small")
            elif crop.mean() < self.min_brightness:
                out.append("dark")
            elif crop.std() < self.min_contrast:
                out.append("flat")
            elif cv2.Laplacian(crop, cv2.CV_32F).var() < self.min_sharpness:
                out.append("blurred")
            elif yaw > self.max_yaw:
                out.append("looking away")
            elif dets.confidence[i] < self.min_score:
                out.append("occluded")
            else:
                out.append(OK)
        return out
