import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from emotion_monitor.classifier import DEFAULT_MODEL, EmotionClassifier
from emotion_monitor.crops import crop_faces, square_boxes
from emotion_monitor.errors import ModelError
from emotion_monitor.types import LABELS

from .conftest import ASTRONAUT_FACE


def test_astronaut_face_is_classified(classifier, astronaut_bgr):
    crops = crop_faces(astronaut_bgr, np.array([ASTRONAUT_FACE], np.float32))
    probs = classifier(crops)
    assert probs.shape == (1, 7)
    assert abs(probs.sum() - 1) < 1e-3
    # she smiles: the model must put happy first (checked by eye on the image)
    assert LABELS[int(probs.argmax())] == "happy"


def test_batch_matches_single_faces(classifier, astronaut_bgr):
    crops = crop_faces(astronaut_bgr, np.array([ASTRONAUT_FACE, [0, 0, 100, 100], [300, 300, 420, 420]], np.float32))
    batch = classifier(crops)
    single = np.concatenate([classifier(c[None]) for c in crops])
    assert np.allclose(batch, single, atol=2e-2)
    assert np.allclose(batch.sum(1), 1, atol=1e-3)


def test_no_faces_gives_empty_result(classifier):
    assert classifier(np.zeros((0, 48, 48), np.uint8)).shape == (0, 7)


def test_crops_are_square_gray_and_padded_at_the_edge(astronaut_bgr):
    crops = crop_faces(astronaut_bgr, np.array([[-20, -20, 40, 40], ASTRONAUT_FACE], np.float32))
    assert crops.shape == (2, 48, 48) and crops.dtype == np.uint8
    assert crops[0].std() > 0  # replicated border, not an empty crop
    sq = square_boxes(np.array([[0, 0, 10, 20]]), margin=0.0)[0]
    assert sq[2] - sq[0] == pytest.approx(sq[3] - sq[1]) == pytest.approx(20)


def test_missing_model_is_a_clear_error(tmp_path):
    with pytest.raises(ModelError, match="not found"):
        EmotionClassifier(tmp_path / "nope.tflite")


def test_corrupt_model_is_a_clear_error(tmp_path):
    bad = tmp_path / "emotion.tflite"
    bad.write_bytes(b"this is not a flatbuffer" * 100)
    shutil.copy(DEFAULT_MODEL.with_suffix(".json"), bad.with_suffix(".json"))
    with pytest.raises(ModelError, match="cannot load emotion model"):
        EmotionClassifier(bad)


def test_metadata_of_the_wrong_shape_is_a_clear_error(tmp_path):
    model = tmp_path / "emotion.tflite"
    shutil.copy(DEFAULT_MODEL, model)
    meta = json.loads(DEFAULT_MODEL.with_suffix(".json").read_text())
    meta["input_size"] = 64
    model.with_suffix(".json").write_text(json.dumps(meta))
    with pytest.raises(ModelError, match="takes input"):
        EmotionClassifier(model)


def test_shipped_metadata_describes_the_model():
    meta = json.loads(DEFAULT_MODEL.with_suffix(".json").read_text())
    assert meta["labels"] == list(LABELS)
    assert meta["input_size"] == 48 and meta["channels"] == 1
    assert meta["photometric"] == "stretch" and meta["calibration"]["temperature"] > 0
    assert len(meta["calibration"]["bias"]) == len(LABELS)
    # the unhappy classes not lost (FER2013 >= 0.60), and the figures are the ones the model card and README quote
    acc = meta["accuracy"]
    assert acc["ferplus_privatetest_flip_average"] >= 0.80 and acc["fer2013_privatetest"] >= 0.60
    root = Path(__file__).resolve().parent.parent
    card = (root / "models" / "README.md").read_text()
    assert f"**{acc['ferplus_privatetest_flip_average']:.4f}**" in card and f"Model card: `emotion.tflite` ({meta['model']}," in card
    assert f"{acc['ferplus_privatetest_flip_average']:.3f} with the" in (root / "README.md").read_text()


def test_the_loaded_model_is_named_as_trained_not_by_its_architecture(tmp_path):
    """The window's status bar and the run line say which trained model reads the faces (the card's)."""
    meta = json.loads(DEFAULT_MODEL.with_suffix(".json").read_text())
    card = (Path(__file__).resolve().parent.parent / "models" / "README.md").read_text()
    assert EmotionClassifier().name == meta["name"] != meta["model"]
    assert meta["trained"].startswith(meta["name"]) and meta["name"] in card
    model = tmp_path / "emotion.tflite"  # a file exported without a name: its architecture, as before
    shutil.copy(DEFAULT_MODEL, model)
    del meta["name"]
    model.with_suffix(".json").write_text(json.dumps(meta))
    assert EmotionClassifier(model).name == meta["model"]
