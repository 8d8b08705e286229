"""Datasets for training: FER2013 in its three public formats, and any class-per-folder image tree.

Every loader returns a :class:`Dataset` of gray images ``uint8 (N, H, W)``, integer labels and a
usage code per image (0 Training, 1 PublicTest, 2 PrivateTest), so that training selects models on
PublicTest and reports on PrivateTest whatever the source format. Decoded arrays are cached outside
the repository (``platformdirs`` user cache), keyed by the source's path, size and mtime.
"""

from __future__ import annotations

import csv
import hashlib
import os
import tarfile
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

LABELS = ("angry", "disgust", "fear", "happy", "neutral", "sad", "surprise")
USAGES = ("Training", "PublicTest", "PrivateTest")
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".pgm")


@dataclass
class Dataset:
    images: np.ndarray  # uint8 (N, H, W) gray, or (N, H, W, 3) where a loader keeps colour
    labels: np.ndarray  # int (N,)
    usage: np.ndarray  # uint8 (N,) index into USAGES
    class_names: tuple[str, ...] = LABELS

    def split(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """Images and labels of one split, by name (Training / PublicTest / PrivateTest)."""
        try:
            code = USAGES.index(name)
        except ValueError:
            raise ValueError(f"unknown split {name!r}; choose one of {', '.join(USAGES)}") from None
        mask = self.usage == code
        return self.images[mask], self.labels[mask]

    def __len__(self) -> int:
        return len(self.labels)


def _cache_dir() -> Path:
    env = os.environ.get("EMOTION_MONITOR_CACHE")
    if env:
        return Path(env)
    try:
        from platformdirs import user_cache_dir
    except ImportError:  # the GPU machine has no platformdirs; fall back to ~/.cache
        return Path.home() / ".cache" / "emotion-monitor"
    return Path(user_cache_dir("emotion-monitor"))


def _cache_key(path: Path) -> str:
    st = path.stat()
    h = hashlib.sha256(f"{path.resolve()}|{st.st_size}|{st.st_mtime_ns}|v1".encode()).hexdigest()
    return h[:20]


def _decode_gray(data: bytes, name: str) -> np.ndarray:
    img = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_GRAYSCALE)
    if img is None:
        raise ValueError(f"cannot decode image {name}")
    return img


def _usage_of(filename: str) -> int:
    prefix = filename.split("_", 1)[0]
    if prefix not in USAGES:
        raise ValueError(f"{filename}: file name does not start with one of {USAGES}")
    return USAGES.index(prefix)


def _fer_member(name: str) -> tuple[str, str] | None:
    """('class', 'file') for a FER2013 folder-layout member path, else None."""
    parts = Path(name).parts
    if len(parts) < 2 or not name.lower().endswith(IMAGE_SUFFIXES):
        return None
    return parts[-2], parts[-1]


def _assemble(records: list[tuple[int, str, int, np.ndarray]]) -> Dataset:
    # Canonical order (see the dataset README): usage, then file name, then label.
    records.sort(key=lambda r: (r[0], r[1], r[2]))
    images = np.stack([r[3] for r in records]).astype(np.uint8)
    labels = np.array([r[2] for r in records], np.int64)
    usage = np.array([r[0] for r in records], np.uint8)
    return Dataset(images, labels, usage)


def read_fer_tar(path: Path) -> Dataset:
    """FER2013 'folder' layout inside a (compressed) tar: train|test/<class>/<Usage>_<id>.jpg."""
    records = []
    with tarfile.open(path, "r:*") as tar:
        for member in tar:
            if not member.isfile():
                continue
            hit = _fer_member(member.name)
            if hit is None:
                continue
            cls, fname = hit
            if cls not in LABELS:
                raise ValueError(f"{member.name}: unknown class folder {cls!r}")
            data = tar.extractfile(member).read()
            records.append((_usage_of(fname), fname, LABELS.index(cls), _decode_gray(data, member.name)))
    if not records:
        raise ValueError(f"{path}: no FER2013 images found in the archive")
    return _assemble(records)


def read_fer_folder(path: Path) -> Dataset:
    """The same layout extracted to a folder."""
    records = []
    for file in sorted(path.rglob("*")):
        hit = _fer_member(str(file.relative_to(path)))
        if hit is None or not file.is_file():
            continue
        cls, fname = hit
        records.append((_usage_of(fname), fname, LABELS.index(cls), _decode_gray(file.read_bytes(), str(file))))
    if not records:
        raise ValueError(f"{path}: no FER2013 images found")
    return _assemble(records)


def read_fer_csv(path: Path) -> Dataset:
    """The original Kaggle ``fer2013.csv``: columns emotion, pixels (2304 numbers), Usage."""
    images, labels, usage = [], [], []
    with open(path, newline="") as fh:
        reader = csv.DictReader(fh)
        missing = {"emotion", "pixels", "Usage"} - set(reader.fieldnames or ())
        if missing:
            raise ValueError(f"{path}: missing column(s) {', '.join(sorted(missing))}")
        for lineno, row in enumerate(reader, start=2):
            pixels = np.array(row["pixels"].split(), np.uint8)
            if pixels.size != 48 * 48:
                raise ValueError(f"{path}:{lineno}: expected 2304 pixels, got {pixels.size}")
            images.append(pixels.reshape(48, 48))
            labels.append(int(row["emotion"]))
            usage.append(USAGES.index(row["Usage"]))
    return Dataset(np.stack(images), np.array(labels, np.int64), np.array(usage, np.uint8))


def read_image_folder(path: Path, size: int = 48, seed: int = 0, fractions=(0.8, 0.1)) -> Dataset:
    """Users' own data: one subfolder per class, images of any size (resized, grayscaled).

    With ``train/``, ``val/`` and ``test/`` subfolders those are the splits; otherwise a seeded
    random split (80/10/10 by default) per class makes Training / PublicTest / PrivateTest.
    Class names are the folder names, sorted; the seven FER2013 names keep FER2013's order.
    """
    split_dirs = {"train": 0, "val": 1, "test": 2}
    roots = [(path / d, code) for d, code in split_dirs.items() if (path / d).is_dir()]
    if not roots:
        roots = [(path, None)]
    classes = sorted({p.name for root, _ in roots for p in root.iterdir() if p.is_dir()})
    if not classes:
        raise ValueError(f"{path}: expected one subfolder per class")
    if set(classes) <= set(LABELS):
        classes = list(LABELS)
    rng = np.random.default_rng(seed)
    images, labels, usage = [], [], []
    for root, code in roots:
        for ci, cls in enumerate(classes):
            files = sorted(f for f in (root / cls).glob("*") if f.suffix.lower() in IMAGE_SUFFIXES) if (root / cls).is_dir() else []
            if code is None:
                order = rng.permutation(len(files))
                n_train = int(round(fractions[0] * len(files)))
                n_val = int(round(fractions[1] * len(files)))
                codes = np.empty(len(files), np.uint8)
                codes[order[:n_train]] = 0
                codes[order[n_train:n_train + n_val]] = 1
                codes[order[n_train + n_val:]] = 2
            else:
                codes = np.full(len(files), code, np.uint8)
            for f, c in zip(files, codes):
                img = _decode_gray(f.read_bytes(), str(f))
                if img.shape != (size, size):
                    img = cv2.resize(img, (size, size), interpolation=cv2.INTER_AREA)
                images.append(img)
                labels.append(ci)
                usage.append(c)
    if not images:
        raise ValueError(f"{path}: no images found")
    return Dataset(np.stack(images), np.array(labels, np.int64), np.array(usage, np.uint8), tuple(classes))


def detect_format(path: Path) -> str:
    if path.is_file():
        name = path.name.lower()
        if name.endswith(".csv"):
            return "csv"
        if ".tar" in name or name.endswith((".tgz", ".txz")):
            return "tar"
        raise ValueError(f"{path}: expected a .tar[.xz|.gz] archive, a fer2013.csv or a folder")
    if path.is_dir():
        if any(f.name.startswith(USAGES) for f in path.rglob("*_*") if f.is_file()):
            return "fer-folder"
        return "image-folder"
    raise FileNotFoundError(f"{path}: no such file or folder")


def load(path: str | os.PathLike, cache: bool = True) -> Dataset:
    """Load any supported dataset; decoded arrays are cached outside the repository."""
    path = Path(path)
    fmt = detect_format(path)
    cache_file = None
    if cache and path.is_file():
        cache_file = _cache_dir() / "datasets" / f"{path.stem}-{_cache_key(path)}.npz"
        if cache_file.exists():
            with np.load(cache_file) as z:
                return Dataset(z["images"], z["labels"], z["usage"], tuple(str(c) for c in z["classes"]))
    reader = {"csv": read_fer_csv, "tar": read_fer_tar, "fer-folder": read_fer_folder,
              "image-folder": read_image_folder}[fmt]
    ds = reader(path)
    if cache_file is not None:
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache_file.with_suffix(".tmp.npz")
        np.savez(tmp, images=ds.images, labels=ds.labels, usage=ds.usage, classes=np.array(ds.class_names))
        os.replace(tmp, cache_file)
    return ds
