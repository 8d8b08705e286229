"""Overlay sink: boxes, labels and the mood line drawn on a frame with OpenCV."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import cv2
import numpy as np

from .mood import format_mood, wait_text
from .privacy import DEFAULT, check, keeps_boxes, shows_mood, write_private
from .resting import READ_UNHAPPY
from .types import FrameResult, Track

# BGR colour per emotion (shared with the GUI, which converts them to Qt colours): Okabe and Ito's palette,
# told apart with any of the common colour-vision deficiencies, and none of them red: red is the alert's
# alone. Every place that shows one writes the emotion's word beside it.
COLORS = {
    "angry": (167, 121, 204), "disgust": (66, 228, 240), "fear": (0, 159, 230), "happy": (115, 158, 0),
    "neutral": (187, 187, 187), "sad": (178, 114, 0), "surprise": (233, 180, 86),
}
ALERT_HEX = "#c62828"  # alert red: an alert's frame, banner, span and bar (while on), and nothing else


ZONE_COLOR = (255, 200, 0)  # light blue (BGR): a queue zone
GREY = (150, 150, 150)  # faces left out of the mood by the quality gate: corner marks and the id alone
ALERT_RED = (40, 40, 198)  # ALERT_HEX in BGR: the people behind the current alert: a red frame around their box, "#id ALERT"
MARKED = (0, 140, 255)  # orange: marked "read unhappy when first seen" (resting.py; no alert of their own)


def _corners(out: np.ndarray, x0: int, y0: int, x1: int, y1: int, color: tuple[int, int, int], thick: int) -> None:
    """A box's four corners (a quarter of each side, at least 3 px) over a dark edge: seen at a small
    view's size and on dark or bright footage, and not mistaken for the full box of a face that is read."""
    dx, dy = max(3, (x1 - x0) // 4), max(3, (y1 - y0) // 4)
    for col, t in (((0, 0, 0), thick + 2), (color, thick)):
        for x, y, sx, sy in ((x0, y0, 1, 1), (x1, y0, -1, 1), (x0, y1, 1, -1), (x1, y1, -1, -1)):
            cv2.line(out, (x, y), (x + sx * dx, y), col, t)
            cv2.line(out, (x, y), (x, y + sy * dy), col, t)


def _label_size(text: str, font: int, fs: float, stroke: int) -> tuple[int, int]:
    (tw, th), base = cv2.getTextSize(text, font, fs, stroke)
    return tw + 6, th + base + 6


def blur_faces(image: np.ndarray, boxes: np.ndarray, margin: float = 0.3, blocks: int = 5) -> np.ndarray:
    """A copy of ``image`` with every box (N, 4 pixels), grown by ``margin`` of its size each side, reduced
    to ``blocks`` x ``blocks`` coarse cells and smoothed: no face left to recognise, and none for a face
    detector to find (tested with the app's own), while the scene around stays readable. For every image
    the app writes (privacy: people in view did not choose to be photographed)."""
    out = np.array(image, copy=True)
    h, w = out.shape[:2]
    for x0, y0, x1, y1 in np.asarray(boxes, np.float32).reshape(-1, 4):
        mx, my = (x1 - x0) * margin, (y1 - y0) * margin
        a0, b0 = int(max(0, x0 - mx)), int(max(0, y0 - my))
        a1, b1 = int(min(w, x1 + mx)), int(min(h, y1 + my))
        if a1 - a0 < 2 or b1 - b0 < 2:
            continue
        cells = cv2.resize(out[b0:b1, a0:a1], (blocks, blocks), interpolation=cv2.INTER_AREA)
        region = cv2.resize(cells, (a1 - a0, b1 - b0), interpolation=cv2.INTER_LINEAR)
        out[b0:b1, a0:a1] = cv2.GaussianBlur(region, (0, 0), max(1.0, (a1 - a0) / 12))
    return out


def place_labels(boxes: np.ndarray, sizes: list[tuple[int, int]], width: int, height: int,
                 order: list[int] | None = None) -> list[tuple[int, int] | None]:
    """Top-left corners of one label per box (``sizes``: label width, height), or None where none fits:
    :func:`place_choices` with one size a box."""
    return [None if p is None else (p[0], p[1]) for p in place_choices(boxes, [[s] for s in sizes], width, height,
                                                                       order)]


def _free(rect: tuple[int, int, int, int], taken: Sequence[tuple[int, ...]]) -> bool:
    return all(rect[2] <= a or rect[0] >= c or rect[3] <= b or rect[1] >= d for a, b, c, d in taken)


def place_choices(boxes: np.ndarray, choices: list[list[tuple[int, int]]], width: int, height: int,
                  order: list[int] | None = None) -> list[tuple[int, int, int] | None]:
    """One label a box: (x, y, k) for its top-left corner and which of its ``choices`` (label sizes, the
    fullest first) fits, or None where none does.

    Each label tries above its box, below it, beside it (right, then left) and inside its top edge, then
    places aligned to the box's other side and a row higher (packed faces: on the demo at a third of the
    frames, labels with no place 104 of 3,802 -> 30), shifted to lie inside the frame, and takes the first
    place that overlaps no label placed before it and no other face's box (a label never covers a face); a
    box whose full label finds no room tries its next choice (the id alone). Boxes go in ``order`` (default:
    largest first, so the nearest faces keep theirs). Hand-written: a handful of rectangles a frame, where a
    layout library would cost more than it saves."""
    n = len(boxes)
    order = order if order is not None else sorted(range(n), key=lambda i: -float(
        (boxes[i][2] - boxes[i][0]) * (boxes[i][3] - boxes[i][1])))
    faces = [tuple(int(round(v)) for v in b) for b in boxes]
    placed: list[tuple[int, int, int, int]] = []
    out: list[tuple[int, int, int] | None] = [None] * n
    for i in order:
        x0, y0, x1, y1 = faces[i]
        others = faces[:i] + faces[i + 1:]
        for k, (w, h) in enumerate(choices[i]):
            if w > width or h > height:  # wider than the frame (a small view): it would be cut
                continue
            for cx, cy in ((x0, y0 - h - 2), (x0, y1 + 2), (x1 + 2, y0), (x0 - w - 2, y0), (x0, y0 + 2),
                           (x1 - w, y0 - h - 2), (x1 - w, y1 + 2), (x1 + 2, y1 - h), (x0 - w - 2, y1 - h),
                           (x0, y0 - 2 * h - 4), (x1 - w, y0 - 2 * h - 4)):
                cx = int(min(max(cx, 0), max(0, width - w)))
                cy = int(min(max(cy, 0), max(0, height - h)))
                rect = (cx, cy, cx + w, cy + h)
                # the whole label never covers a face, its own either; the id alone may sit inside its top
                if _free(rect, placed) and _free(rect, others if k else [*others, faces[i]]):
                    placed.append(rect)
                    out[i] = (cx, cy, k)
                    break
            if out[i] is not None:
                break
    return out


def draw(image: np.ndarray, result: FrameResult, selected: int | None = None, mood_line: bool = True,
         width: int | None = None, outline: bool = True, show_mood: bool = True) -> np.ndarray:
    """Draw on a copy of ``image``: a box per face coloured by its emotion with '#id label confidence' (the
    selected face's box thicker; the id alone where the whole label finds no room); faces left out of the
    mood (quality gate) as grey corner marks with their id in grey (the people panel lists them by it), placed
    after the others. Labels never overlap each other or another face
    and stay inside the frame (:func:`place_choices`); a label that finds no room, even for the id alone,
    is left out, the box stays. ``width``: draw on the image scaled down to that width (a small view: the
    copy and the drawing cost its pixels, not the frame's). ``outline`` False: the labels alone, no box,
    frame or corner mark (a snapshot at privacy "people"); ``show_mood`` False: the mood line counts the
    faces and says the alert, without the mood (privacy.shows_mood)."""
    k = 1.0
    if width is not None and width < image.shape[1]:
        k = width / image.shape[1]
        out = cv2.resize(image, (width, max(1, round(image.shape[0] * k))), interpolation=cv2.INTER_AREA)
    else:
        out = image.copy()
    height, width = out.shape[:2]
    scale = max(0.5, width / 1280)
    thick = max(1, int(round(2 * scale)))
    # labels: at least 0.45 (legible in a small view), strokes one pixel a 0.6 of size: thicker, OpenCV's
    # "#" fills in and reads as "$" (the window draws at its view's width, so 1 px is 1 px on screen)
    font, fs = cv2.FONT_HERSHEY_SIMPLEX, max(0.45, 0.6 * scale)
    stroke = max(1, int(fs / 0.6))
    who, marked = result.mood.who, result.mood.marked
    _zones(out, result, thick, scale, fs)
    read = [t for t in result.tracks if t.quality == "ok"]
    labelled = read + [t for t in result.tracks if t.quality != "ok"]  # faces left out: their id alone, last
    texts = [_label_texts(t, who, marked) if t.quality == "ok" else (f"#{t.track_id}",) * 2 for t in labelled]
    sizes = [[_label_size(x, font, fs, stroke) for x in pair] for pair in texts]
    boxes = np.array([t.xyxy for t in labelled], np.float32).reshape(-1, 4) * np.float32(k)
    first = [i for i, t in enumerate(labelled) if t.track_id == selected]  # the selected face's label first
    rest = sorted((i for i in range(len(read)) if i not in first),
                  key=lambda i: -float((boxes[i][2] - boxes[i][0]) * (boxes[i][3] - boxes[i][1])))
    rest += [i for i in range(len(read), len(labelled)) if i not in first]
    places = place_choices(boxes, sizes, width, height, first + rest)
    # a box wears its emotion's colour only where its label gives the word (the id alone, or no room: white)
    _boxes(out, result, k, selected, outline, thick, {t.track_id for t, pos in zip(labelled, places) if pos and not pos[2]})
    for t, label, size, pos in zip(labelled, texts, sizes, places):
        if pos is None:
            continue
        x, y, choice = pos
        w, h = size[choice]
        # the people behind an alert: their label in alert red (the one use of red), marked ones in orange; an
        # emotion's colour only beside its word (the id alone: white, its box too)
        fill = (GREY if t.quality != "ok" else ALERT_RED if t.track_id in who else MARKED if t.track_id in marked
                else COLORS.get(t.emotion, (255, 255, 255)) if choice == 0 else (255, 255, 255))
        ink = (0, 0, 0) if 0.114 * fill[0] + 0.587 * fill[1] + 0.299 * fill[2] > 110 else (255, 255, 255)
        cv2.rectangle(out, (x, y), (x + w, y + h), fill, -1)
        cv2.putText(out, label[choice], (x + 3, y + h - 5), font, fs, ink, stroke, cv2.LINE_AA)
    if mood_line:
        _mood_line(out, result, show_mood, thick, scale)
    return out


def _boxes(out: np.ndarray, result: FrameResult, k: float, selected: int | None, outline: bool,
           thick: int, worded: set[int]) -> None:
    """Each face's box in its emotion's colour where its label says the emotion (``worded``; white where it gives
    the id alone), the selected one thicker, a frame of its own around the people behind an alert (red) or marked
    (orange), grey corners on faces left out of the mood."""
    who, marked = result.mood.who, result.mood.marked
    for t in result.tracks:
        x0, y0, x1, y1 = (int(round(v * k)) for v in t.xyxy)
        if t.quality != "ok":
            if outline:
                _corners(out, x0, y0, x1, y1, GREY, thick)
            continue
        if not outline:
            continue
        colour = COLORS.get(t.emotion, (255, 255, 255)) if t.track_id in worded else (255, 255, 255)
        cv2.rectangle(out, (x0, y0), (x1, y1), colour, thick + (2 if t.track_id == selected else 0))
        if t.track_id in who or t.track_id in marked:  # thick enough to be seen at a glance (a 1-px line was not)
            d = 2 * thick + 1
            cv2.rectangle(out, (x0 - d, y0 - d), (x1 + d, y1 + d), ALERT_RED if t.track_id in who else MARKED, thick + 2)


def _label_texts(t: Track, who: tuple[int, ...], marked: tuple[int, ...]) -> tuple[str, str]:
    """A face's whole label, '#id [ALERT | read unhappy when first seen] [wait] emotion confidence', and
    its id alone, for where the whole label finds no room: every box its id, the people panel's."""
    note = " ALERT" if t.track_id in who else (f" {READ_UNHAPPY}" if t.track_id in marked else "")
    if t.zone and t.waited >= 1:  # in the queue: how long so far
        note += f" {wait_text(t.waited)}"
    return f"#{t.track_id}{note} {t.emotion} {t.confidence:.0%}", f"#{t.track_id}"


def _zones(out: np.ndarray, result: FrameResult, thick: int, scale: float, fs: float) -> None:
    """Where people queue: each zone's outline and name (faces outside every zone are drawn grey)."""
    height, width = out.shape[:2]
    for zone in result.zones:
        poly = np.round(zone.polygon(width, height)).astype(np.int32).reshape(-1, 1, 2)
        cv2.polylines(out, [poly], True, ZONE_COLOR, thick, cv2.LINE_AA)
        x, y = poly[:, 0, 0].min() + 4, poly[:, 0, 1].min() + int(18 * scale)
        for color, edge in (((0, 0, 0), thick + 3), (ZONE_COLOR, thick)):  # a dark edge: readable on any scene
            cv2.putText(out, zone.name, (int(x), int(y)), cv2.FONT_HERSHEY_SIMPLEX, fs, color, edge, cv2.LINE_AA)


def _mood_line(out: np.ndarray, result: FrameResult, show_mood: bool, thick: int, scale: float) -> None:
    """The line at the top: faces, the mood (or that it is not shown) and the trend, ALERT while one is on."""
    m = result.mood
    mood = f"{format_mood(m.score, m.learning, m.faces, m.moving)}  trend {m.trend:+.2f}/min" if show_mood else "mood not shown"
    text = f"faces {m.faces}  {mood}" + ("  ALERT" if m.alert else "")
    for color, stroke in (((0, 0, 0), thick + 4), ((0, 0, 255) if m.alert else (255, 255, 255), thick + 1)):
        # a dark edge under the letters keeps the line readable on sky, snow or a white wall
        cv2.putText(out, text, (10, int(30 * scale)), cv2.FONT_HERSHEY_SIMPLEX, 0.8 * scale, color, stroke,
                    cv2.LINE_AA)


def picture(result: FrameResult, blur: bool) -> np.ndarray:
    """The frame to draw on: as captured, or with every face (detections and tracks) blurred by
    :func:`blur_faces` (a snapshot by default; the window's screen on request)."""
    if not blur:
        return result.frame.image
    boxes = np.concatenate([result.detections.xyxy.reshape(-1, 4),
                            np.array([t.xyxy for t in result.tracks], np.float32).reshape(-1, 4)])
    return blur_faces(result.frame.image, boxes)


def snapshot_image(result: FrameResult, selected: int | None = None, blur: bool = True,
                   privacy: str = DEFAULT, min_group: int = 0) -> np.ndarray:
    """A frame as a snapshot saves it at privacy level ``privacy`` (privacy.py): every face blurred unless
    ``blur`` is off (:func:`picture`), then drawn over it: at "full" the boxes, labels and mood line as on
    screen; at "people" the labels and mood line, no box (where a face was is not kept); at "aggregate" the
    mood line alone (no id, box or per-face reading), every face blurred whatever ``blur`` says, and the line
    without the mood when fewer than ``min_group`` faces count in it (one face's mood is one person's)."""
    level = check(privacy)
    if level == "aggregate":
        shown = shows_mood(level, result.mood.faces, min_group)
        return draw(picture(result, True), replace(result, tracks=()), show_mood=shown)
    return draw(picture(result, blur), result, selected=selected, outline=keeps_boxes(level))


def save_snapshot(path: str, result: FrameResult, selected: int | None, settings: Any) -> str:
    """Save :func:`snapshot_image` as the ``settings`` say (their privacy level, minimum group and
    ``blur_snapshots``; always blurred at "aggregate") to a PNG readable by its owner alone
    (privacy.open_private), marked as this app's (its "Software" text, which retention.py reads). Returns the
    line to show: saved, or why not."""
    blur = settings.blur_snapshots or settings.privacy == "aggregate"
    ok, png = cv2.imencode(".png", snapshot_image(result, selected, blur, settings.privacy, settings.min_group))
    try:
        if not ok:
            raise OSError("the image could not be encoded as PNG")
        write_private(path, mark_png(png.tobytes()))
    except OSError as exc:
        return f"cannot write the snapshot {path}: {exc.strerror or exc}"
    return f"snapshot saved{', faces blurred' if blur else ''}: {path}"


def mark_png(png: bytes, key: bytes = b"Software", text: bytes = b"emotion-monitor") -> bytes:
    """``png`` with a tEXt chunk ``key``=``text`` after its header chunk. Hand-written: OpenCV writes no text
    chunk, and a chunk is eight bytes of length and type, the data and a CRC."""
    import struct
    import zlib

    data = key + b"\0" + text
    chunk = struct.pack(">I", len(data)) + b"tEXt" + data + struct.pack(">I", zlib.crc32(b"tEXt" + data))
    end = 8 + 8 + 13 + 4  # the signature, then IHDR: its length and type, 13 bytes, its CRC
    return png[:end] + chunk + png[end:]
