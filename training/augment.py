"""Augmentation as the seed reports use it, on the fly (host side, OpenCV) or offline.

On-the-fly names (``--augment``): flip, rotate, zoom, shift, shear, erase, blur, and ``camera``: what
a webcam over a queue delivers and a photo archive does not (see :func:`camera_degrade`).
Offline names (teuchert's copies added once before training): rotate45, rotate75, blur10.

On-the-fly augmentation runs on the host in a :class:`keras.utils.PyDataset`: one OpenCV
``warpAffine`` per image combines flip, rotation, zoom, shift and shear. Keras' preprocessing
layers were tried first and measured 0.5 s a batch under JAX on an H100 (their per-image
resampling does not compile well), which is why this is written by hand; it is backend-neutral and
costs ~2 ms a batch of 128 on one core.
"""

from __future__ import annotations

import math
import multiprocessing
import os

import cv2
import keras
import numpy as np

ONLINE = ("flip", "rotate", "zoom", "shift", "shear", "erase", "blur", "camera")
OFFLINE = ("rotate45", "rotate75", "blur10")


def check_online(names) -> tuple[str, ...]:
    unknown = set(names) - set(ONLINE)
    if unknown:
        raise ValueError(f"unknown augmentation(s) {', '.join(sorted(unknown))}; choose from {', '.join(ONLINE)}")
    return tuple(names)


def random_affines(rng: np.random.Generator, n: int, w: int, h: int, names) -> np.ndarray:
    """(n, 2, 3) matrices: flip, rotation (+-15 deg), zoom (+-15%), shift (+-10%), shear (+-0.2),
    all about the image centre; drawn for the whole batch at once."""
    flip = ("flip" in names) & (rng.random(n) < 0.5)
    a = np.radians(rng.uniform(-15, 15, n)) if "rotate" in names else np.zeros(n)
    s = rng.uniform(0.85, 1.15, n) if "zoom" in names else np.ones(n)
    sh = rng.uniform(-0.2, 0.2, n) if "shear" in names else np.zeros(n)
    t = rng.uniform(-0.1, 0.1, (n, 2)) * (w, h) if "shift" in names else np.zeros((n, 2))
    fx = np.where(flip, -1.0, 1.0)
    # x' = A @ (F x - c) + c + t, with F the optional flip about the centre (x -> w - x)
    a11, a12 = s * np.cos(a), -s * np.sin(a) + sh
    a21, a22 = s * np.sin(a), s * np.cos(a)
    cx, cy = w / 2, h / 2
    fx_off = np.where(flip, w - 1.0, 0.0) - cx  # F x - c, x component offset (flip: x -> w-1-x)
    m = np.empty((n, 2, 3))
    m[:, 0, 0], m[:, 0, 1] = a11 * fx, a12
    m[:, 1, 0], m[:, 1, 1] = a21 * fx, a22
    m[:, 0, 2] = a11 * fx_off + a12 * -cy + cx + t[:, 0]
    m[:, 1, 2] = a21 * fx_off + a22 * -cy + cy + t[:, 1]
    return m


def _motion_kernel(rng: np.random.Generator) -> np.ndarray:
    length = int(rng.integers(3, 8))
    k = np.zeros((length, length), np.float32)
    angle = rng.uniform(0, np.pi)
    c = (length - 1) / 2
    dx, dy = np.cos(angle) * c, np.sin(angle) * c
    cv2.line(k, (int(round(c - dx)), int(round(c - dy))), (int(round(c + dx)), int(round(c + dy))), 1.0, 1)
    return k / k.sum()


BATCH_TIMEOUT = 300.0  # seconds a pooled batch may take (milliseconds as a rule) before the pool is given up on
CAMERA_SHARE = 0.5  # of the faces in a batch get camera degradations; the rest stay as photographed


def camera_degrade(u: np.ndarray, rng: np.random.Generator, share: float = CAMERA_SHARE) -> np.ndarray:
    """What a camera does to a face, on float32 gray levels 0..255 (N, H, W, C): ``share`` of the
    faces get, each with its own chance, head pitch (a perspective tilt: looking down at a phone or up
    at a screen), a face only 12-34 px across (down- then upscaled), motion or defocus blur, low light
    and gamma, sensor noise, JPEG. A new array comes back.

    Run 1 (training/REPRODUCTION.md) degraded every face (about 90% got at least one effect) and
    lost 1.3 points of FER+ accuracy against the plain fine-tune; half the faces keep the photo's
    detail now."""
    n, h, w, c = u.shape
    out = u.copy()
    for i in np.flatnonzero(rng.random(n) < share):
        im = u[i].reshape(h, w)
        if rng.random() < 0.25:  # pitch: one edge of the face nearer the camera than the other
            t = rng.uniform(0.0, 0.14) * w
            squash = rng.uniform(0.85, 1.0)
            top = rng.random() < 0.6  # looking down is the common case in a queue
            src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
            y0, y1 = (1 - squash) * h / 2, h - (1 - squash) * h / 2
            dst = (np.float32([[t, y0], [w - t, y0], [w, y1], [0, y1]]) if top
                   else np.float32([[0, y0], [w, y0], [w - t, y1], [t, y1]]))
            im = cv2.warpPerspective(im, cv2.getPerspectiveTransform(src, dst), (w, h),
                                     borderMode=cv2.BORDER_REPLICATE)
        if rng.random() < 0.3:  # a small face: 12-34 px, upscaled back
            side = int(rng.integers(12, 35))
            im = cv2.resize(cv2.resize(im, (side, side), interpolation=cv2.INTER_AREA), (w, h),
                            interpolation=cv2.INTER_LINEAR)
        r = rng.random()
        if r < 0.15:
            im = cv2.filter2D(im, -1, _motion_kernel(rng), borderType=cv2.BORDER_REFLECT_101)
        elif r < 0.35:
            im = cv2.GaussianBlur(im, (0, 0), rng.uniform(0.5, 1.4))
        if rng.random() < 0.4:  # exposure: gamma, then a gain (dim rooms, backlight)
            im = 255.0 * (np.clip(im, 0, 255) / 255.0) ** rng.uniform(0.6, 2.0) * rng.uniform(0.35, 1.1)
        if rng.random() < 0.3:
            im = im + rng.normal(0.0, rng.uniform(2.0, 10.0), im.shape).astype(np.float32)
        im = np.clip(im, 0, 255)
        if rng.random() < 0.3:
            ok, buf = cv2.imencode(".jpg", im.astype(np.uint8), [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(15, 70))])
            im = cv2.imdecode(buf, cv2.IMREAD_GRAYSCALE).astype(np.float32)
        out[i] = im.reshape(h, w, c)
    return out


def augment_batch(x: np.ndarray, names, rng: np.random.Generator, value_range=(0.0, 1.0),
                  finish=None) -> np.ndarray:
    """Augment a float32 batch (N, H, W, C) whose pixels span ``value_range``; returns a new array.

    ``finish``, when given, maps gray levels 0..255 to 0..255 after every augmentation (the model's
    photometric normalisation, which the app applies to its crops the same way)."""
    n, h, w, c = x.shape
    out = x.copy()
    if any(k in names for k in ("flip", "rotate", "zoom", "shift", "shear")):
        for i, m in enumerate(random_affines(rng, n, w, h, names)):
            out[i] = cv2.warpAffine(x[i], m, (w, h), flags=cv2.INTER_LINEAR,
                                    borderMode=cv2.BORDER_REFLECT_101).reshape(h, w, c)
    if "blur" in names:
        for i in np.flatnonzero(rng.random(n) < 0.25):
            out[i] = cv2.blur(out[i], (10, 10)).reshape(h, w, c)
    if "erase" in names:
        pick = np.flatnonzero(rng.random(n) < 0.5)
        area = rng.uniform(0.02, 0.25, len(pick)) * h * w
        ratio = np.exp(rng.uniform(np.log(0.3), np.log(3.3), len(pick)))
        eh = np.clip(np.round(np.sqrt(area * ratio)), 1, h).astype(int)
        ew = np.clip(np.round(np.sqrt(area / ratio)), 1, w).astype(int)
        y0 = (rng.random(len(pick)) * (h - eh + 1)).astype(int)
        x0 = (rng.random(len(pick)) * (w - ew + 1)).astype(int)
        noise = rng.uniform(*value_range, size=(len(pick), h, w, c)).astype(x.dtype)
        for j, i in enumerate(pick):
            out[i, y0[j]:y0[j] + eh[j], x0[j]:x0[j] + ew[j]] = noise[j, : eh[j], : ew[j]]
    if "camera" in names or finish is not None:
        lo, hi = value_range
        u = (out - lo) * np.float32(255.0 / (hi - lo))
        if "camera" in names:
            u = camera_degrade(u, rng)
        if finish is not None:
            u = finish(u)
        out = (u * np.float32((hi - lo) / 255.0) + np.float32(lo)).astype(x.dtype)
    return out


def _order(seed: int, epoch: int, n: int, p: np.ndarray | None = None) -> np.ndarray:
    """The shuffle of one epoch: a pure function of (seed, epoch), so batches can be made ahead. With
    ``p`` (each face's probability), ``n`` faces drawn with replacement instead (a balanced sampler)."""
    rng = np.random.default_rng([seed, epoch])
    return rng.permutation(n) if p is None else rng.choice(n, size=n, replace=True, p=p)


def balanced_probabilities(classes: np.ndarray, power: float) -> np.ndarray:
    """Each face's chance of being drawn so that a class of ``n`` faces is drawn in proportion to
    ``n ** (1 - power)``: 0 keeps the data's mix, 1 draws every class equally, 0.5 is square-root
    balancing. Written here because the draw must stay a pure function of (seed, epoch) for batches
    made ahead in other processes, which samplers of other libraries do not promise."""
    if not 0.0 <= power <= 1.0:
        raise ValueError(f"balance power must be in [0, 1], not {power}")
    counts = np.bincount(classes)
    w = counts[classes].astype(np.float64) ** -power
    return w / w.sum()


_SHARED: dict = {}


def _worker_init(shm_name: str, shape, dtype: str, names, value_range, finish) -> None:
    """Pool worker start: no accelerator, one OpenCV thread, the training images mapped from shared
    memory (one copy for every worker instead of one each)."""
    cv2.setNumThreads(1)
    from multiprocessing import shared_memory

    shm = shared_memory.SharedMemory(name=shm_name)
    _SHARED.update(shm=shm, x=np.ndarray(shape, dtype, buffer=shm.buf), names=names,
                   value_range=value_range, finish=finish)


def _worker_batch(task) -> np.ndarray:
    idx, key = task
    s = _SHARED
    return augment_batch(s["x"][idx], s["names"], np.random.default_rng(key), s["value_range"], s["finish"])


class AugmentedSequence(keras.utils.PyDataset):
    """Shuffled batches of ``x`` (float32, (N,H,W,C)) augmented on the fly; deterministic per seed.

    ``processes`` > 0 augments in a pool of that many processes (spawned, the images shared once
    through shared memory), one epoch ahead of the one being trained. Keras' own ``workers`` are
    threads: the per-face Python of :func:`camera_degrade` holds the GIL, so threads stop scaling at
    about 6k faces a second, which bound a GPU run at 4.6 s an epoch. The batches are the same
    either way (each batch's generator is seeded by (seed, epoch, batch)). ``draw`` (see
    :func:`balanced_probabilities`) draws each epoch's faces with replacement. Call :meth:`close` after
    training (``fit`` does not).
    """

    def __init__(self, x, y, batch_size, names, value_range=(0.0, 1.0), seed=0, finish=None, processes=0,
                 draw: np.ndarray | None = None, **kwargs):
        super().__init__(**kwargs)
        self.x, self.y, self.batch_size, self.finish = x, y, batch_size, finish
        self.draw = draw  # each face's probability of being drawn (balanced_probabilities), None: shuffle
        self.names, self.value_range, self.seed = check_online(names), value_range, seed
        self.epoch = 0  # a resumed run sets the epoch it starts at
        self._orders: dict[int, np.ndarray] = {}
        self._pool = self._shm = None
        self._ahead: dict[int, list] = {}
        if processes:
            import multiprocessing as mp
            from multiprocessing import shared_memory

            xc = np.ascontiguousarray(x)
            self._shm = shared_memory.SharedMemory(create=True, size=max(1, xc.nbytes))
            np.ndarray(xc.shape, xc.dtype, buffer=self._shm.buf)[:] = xc
            # the workers never touch an accelerator: JAX reads its platform when it is imported
            saved = {k: os.environ.get(k) for k in ("JAX_PLATFORMS", "CUDA_VISIBLE_DEVICES")}
            os.environ.update(JAX_PLATFORMS="cpu", CUDA_VISIBLE_DEVICES="")
            try:
                self._pool = mp.get_context("spawn").Pool(
                    processes, _worker_init, (self._shm.name, xc.shape, xc.dtype.str, self.names, value_range, finish))
            finally:
                for k, v in saved.items():
                    if v is None:
                        os.environ.pop(k, None)
                    else:
                        os.environ[k] = v

    def __len__(self):
        return math.ceil(len(self.x) / self.batch_size)

    def _indices(self, epoch, i):
        if epoch not in self._orders:
            self._orders = {e: o for e, o in self._orders.items() if e >= self.epoch}
            self._orders[epoch] = _order(self.seed, epoch, len(self.x), self.draw)
        return np.sort(self._orders[epoch][i * self.batch_size:(i + 1) * self.batch_size])

    def _submit(self, epoch):
        if epoch not in self._ahead:
            self._ahead[epoch] = [self._pool.apply_async(_worker_batch, ((self._indices(epoch, i),
                                                                        [self.seed, epoch, i]),))
                                  for i in range(len(self))]

    def __getitem__(self, i):
        idx = self._indices(self.epoch, i)
        if self._pool is None:
            rng = np.random.default_rng([self.seed, self.epoch, i])
            return augment_batch(self.x[idx], self.names, rng, self.value_range, self.finish), self.y[idx]
        self._submit(self.epoch)
        self._submit(self.epoch + 1)
        try:
            return self._ahead[self.epoch][i].get(timeout=BATCH_TIMEOUT), self.y[idx]
        except multiprocessing.TimeoutError:  # a worker that died takes its batch with it: say so rather than wait forever
            raise RuntimeError(f"no augmented batch from the worker pool in {BATCH_TIMEOUT:g} s: did a worker die "
                               "(out of memory, killed)?") from None

    def on_epoch_end(self):
        self._ahead.pop(self.epoch, None)
        self.epoch += 1

    def close(self):
        """Stop the worker processes and free the shared images."""
        if self._pool is not None:
            self._pool.terminate()
            self._pool.join()
            self._pool = None
        if self._shm is not None:
            self._shm.close()
            self._shm.unlink()
            self._shm = None
        self._ahead.clear()


def offline_copies(images: np.ndarray, labels: np.ndarray, names) -> tuple[np.ndarray, np.ndarray]:
    """Add transformed copies of every image (uint8, (N,H,W) or (N,H,W,C)), as report 002 does."""
    unknown = set(names) - set(OFFLINE)
    if unknown:
        raise ValueError(f"unknown offline augmentation(s) {', '.join(sorted(unknown))}")
    outs, labs = [images], [labels]
    h, w = images.shape[1:3]
    for name in names:
        if name.startswith("rotate"):
            # PIL's Image.rotate (the report's call) turns counter-clockwise about the centre and
            # fills the corners with black; getRotationMatrix2D with a positive angle does the same.
            m = cv2.getRotationMatrix2D((w / 2, h / 2), float(name[6:]), 1.0)
            copy = np.stack([cv2.warpAffine(im, m, (w, h), borderValue=0) for im in images])
        else:
            k = int(name[4:])
            copy = np.stack([cv2.blur(im, (k, k)) for im in images])
        outs.append(copy.reshape(images.shape))
        labs.append(labels)
    return np.concatenate(outs), np.concatenate(labs)
