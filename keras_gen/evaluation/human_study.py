"""Human real-vs-fake study (HYPE∞): a local web page where people judge images, with bootstrap CIs.

`keras-gen-judge samples/ real/` serves a page on `127.0.0.1` (never any other
address) that shows the generated and the real images one at a time, in a
random order, and asks "real or fake?". Every judgment is appended to a JSON
lines file as soon as it is made, so a study can be stopped (Ctrl+C) and
resumed: on restart, images already judged are not shown again, and the
report covers every judgment saved in the file.

The report follows HYPE∞ (Zhou et al., 2019): the rate at which generated
images are judged real (the fool rate), the rate at which real images are
judged fake, and the HYPE∞ score, the overall error rate over both (50% means
people cannot tell the model's images from real ones), each with a percentile
bootstrap confidence interval.

This module uses only the Python standard library (`http.server`); NumPy is
imported only to read `.npy`/`.npz` image arrays. It never imports Keras, so
it can also run as a script: `python keras_gen/evaluation/human_study.py --help`.

Example:

    keras-gen-judge samples/ real/ --output judgments.jsonl --seed 0 --max-images 50
    keras-gen-judge samples/ real/ --output judgments.jsonl --report   # report only

Reference:
    Zhou, Gordon, Krishna, Narcomey, Fei-Fei, Bernstein. "HYPE: A Benchmark for
    Human eYe Perceptual Evaluation of Generative Models", NeurIPS 2019.
"""

import argparse
import bisect
import dataclasses
import datetime
import json
import math
import os
import random
import secrets
import signal
import struct
import sys
import threading
import zlib
from http.server import BaseHTTPRequestHandler
from http.server import ThreadingHTTPServer
from urllib.parse import urlsplit

HOST = "127.0.0.1"
LABELS = ("fake", "real")
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg")
ARRAY_EXTENSIONS = (".npy", ".npz")
VALUE_RANGES = {"auto": None, "minus1to1": (-1.0, 1.0), "0to1": (0.0, 1.0), "0to255": (0.0, 255.0)}
_MAX_REQUEST_BYTES = 4096


# --------------------------------------------------------------------------- bootstrap


def _binomial_cdf(total, p):
    """Cumulative probabilities P(K <= k), k = 0..total, of Binomial(total, p)."""
    if p <= 0.0:
        return [1.0] * (total + 1)
    if p >= 1.0:
        return [0.0] * total + [1.0]
    log_p, log_q = math.log(p), math.log1p(-p)
    log_n = math.lgamma(total + 1)
    cdf, running = [], 0.0
    for k in range(total + 1):
        running += math.exp(log_n - math.lgamma(k + 1) - math.lgamma(total - k + 1)
                            + k * log_p + (total - k) * log_q)
        cdf.append(running)
    cdf[-1] = 1.0
    return cdf


def _resampled_counts(rng, errors, total, num_samples):
    """Error counts in `num_samples` bootstrap resamples of `total` outcomes with `errors` errors.

    Resampling n outcomes with replacement from a sample with k errors gives
    Binomial(n, k/n) errors, so each resample is one inverse-CDF draw (exact,
    and independent of n in cost).
    """
    cdf = _binomial_cdf(total, errors / total)
    return [min(bisect.bisect_right(cdf, rng.random()), total) for _ in range(num_samples)]


def _quantile(sorted_values, q):
    """The q-quantile with linear interpolation (NumPy's default method)."""
    position = (len(sorted_values) - 1) * q
    low = math.floor(position)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (position - low) * (sorted_values[high] - sorted_values[low])


def _percentile_interval(values, confidence):
    values = sorted(values)
    alpha = 1.0 - confidence
    return [_quantile(values, alpha / 2), _quantile(values, 1.0 - alpha / 2)]


def _check_bootstrap_args(confidence, num_samples):
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1); got {confidence}")
    if num_samples < 1:
        raise ValueError(f"num_samples must be at least 1; got {num_samples}")


def bootstrap_rate_ci(errors, total, confidence=0.95, num_samples=10000, seed=0):
    """Percentile bootstrap confidence interval of the rate `errors / total`.

    Each bootstrap resample draws `total` outcomes with replacement from the
    observed ones; the interval holds the central `confidence` mass of the
    resampled rates. The same `seed` gives the same interval.

    Args:
        errors: number of errors (e.g. fakes judged real), `0 <= errors <= total`.
        total: number of judgments.
        confidence: central mass of the interval (0.95 for a 95% interval).
        num_samples: number of bootstrap resamples.
        seed: seed of the resampling (`None`: a fresh random one).

    Returns:
        `[low, high]` as floats, or `None` when `total == 0`.

    Example:

    >>> from keras_gen.evaluation import bootstrap_rate_ci
    >>> bootstrap_rate_ci(0, 20)                    # no errors: no spread
    [0.0, 0.0]
    >>> low, high = bootstrap_rate_ci(6, 20, seed=0)
    >>> 0.05 <= low < 0.3 < high <= 0.55
    True
    """
    _check_bootstrap_args(confidence, num_samples)
    if not 0 <= errors <= total:
        raise ValueError(f"need 0 <= errors <= total; got errors={errors}, total={total}")
    if total == 0:
        return None
    counts = _resampled_counts(random.Random(seed), errors, total, num_samples)
    return _percentile_interval([c / total for c in counts], confidence)


def hype_report(judgments, confidence=0.95, num_samples=10000, seed=0):
    """HYPE∞ rates of a list of judgments, each with a percentile bootstrap CI.

    Every judgment is a dict with `label` (what the image is: "real" or
    "fake") and `judgment` (what the person answered). The bootstrap resamples
    the fake and the real judgments separately (the numbers of each shown are
    fixed by the study, not random); the HYPE∞ interval is taken over the same
    resamples as the two per-kind intervals.

    Args:
        judgments: iterable of dicts with `label` and `judgment`.
        confidence: central mass of each interval.
        num_samples: number of bootstrap resamples.
        seed: seed of the resampling.

    Returns:
        A dict with `fake_judged_real` (the fool rate), `real_judged_fake` and
        `hype_infinity` (the overall error rate), each
        `{"rate", "ci", "errors", "total"}` (`rate` and `ci` are `None` without
        judgments of that kind), plus `num_judgments`, `confidence`,
        `bootstrap_samples` and `bootstrap_seed`.

    Example:

    >>> from keras_gen.evaluation import hype_report
    >>> report = hype_report([{"label": "fake", "judgment": "real"},
    ...                       {"label": "fake", "judgment": "fake"},
    ...                       {"label": "real", "judgment": "real"},
    ...                       {"label": "real", "judgment": "real"}])
    >>> report["fake_judged_real"]["rate"], report["real_judged_fake"]["rate"]
    (0.5, 0.0)
    >>> report["hype_infinity"]["rate"], report["hype_infinity"]["total"]
    (0.25, 4)
    """
    _check_bootstrap_args(confidence, num_samples)
    errors = {"fake": 0, "real": 0}
    totals = {"fake": 0, "real": 0}
    for judgment in judgments:
        label, answer = judgment["label"], judgment["judgment"]
        if label not in LABELS or answer not in LABELS:
            raise ValueError(f"label and judgment must be 'real' or 'fake'; got {judgment!r}")
        totals[label] += 1
        errors[label] += answer != label

    rng = random.Random(seed)
    counts = {label: (_resampled_counts(rng, errors[label], totals[label], num_samples)
                      if totals[label] else None) for label in LABELS}

    def summary(errors_, total, resampled):
        if total == 0:
            return {"rate": None, "ci": None, "errors": errors_, "total": total}
        return {"rate": errors_ / total,
                "ci": _percentile_interval([c / total for c in resampled], confidence),
                "errors": errors_, "total": total}

    zeros = [0] * num_samples
    overall = [f + r for f, r in zip(counts["fake"] or zeros, counts["real"] or zeros)]
    return {
        "num_judgments": totals["fake"] + totals["real"],
        "fake_judged_real": summary(errors["fake"], totals["fake"], counts["fake"]),
        "real_judged_fake": summary(errors["real"], totals["real"], counts["real"]),
        "hype_infinity": summary(errors["fake"] + errors["real"],
                                 totals["fake"] + totals["real"], overall),
        "confidence": confidence,
        "bootstrap_samples": num_samples,
        "bootstrap_seed": seed,
    }


def format_report(report):
    """A few lines of text for a `hype_report` dict (what the CLI prints)."""
    def line(title, entry):
        if entry["rate"] is None:
            return f"  {title:<32} -  (no judgments)"
        low, high = entry["ci"]
        return (f"  {title:<32} {100 * entry['rate']:5.1f}%  "
                f"[{100 * low:5.1f}%, {100 * high:5.1f}%]  {entry['errors']}/{entry['total']}")

    confidence = round(100 * report["confidence"], 1)
    confidence = int(confidence) if confidence == int(confidence) else confidence
    return "\n".join([
        f"HYPE∞ human study: {report['num_judgments']} judgments; {confidence}% percentile "
        f"bootstrap CIs ({report['bootstrap_samples']} resamples)",
        line("fakes judged real (fool rate)", report["fake_judged_real"]),
        line("reals judged fake", report["real_judged_fake"]),
        line("HYPE∞ (overall error rate)", report["hype_infinity"])
        + "   (50% = indistinguishable)",
    ])


# --------------------------------------------------------------------------- images


def encode_png(pixels):
    """PNG bytes of a uint8 NumPy image (H, W) or (H, W, C), C in 1..4 (zlib, no Pillow)."""
    if pixels.ndim == 2:
        pixels = pixels[:, :, None]
    height, width, channels = pixels.shape
    color_type = {1: 0, 2: 4, 3: 2, 4: 6}[channels]
    rows = pixels.reshape(height, width * channels)
    raw = b"".join(b"\x00" + row.tobytes() for row in rows)

    def chunk(tag, data):
        return (struct.pack(">I", len(data)) + tag + data
                + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", width, height, 8, color_type, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 6))
            + chunk(b"IEND", b""))


def _content_type(data):
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8"):
        return "image/jpeg"
    return None


def _image_size(data):
    """(width, height) from a PNG or JPEG header, or None."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24:
        return struct.unpack(">II", data[16:24])
    if data.startswith(b"\xff\xd8"):
        i = 2
        while i + 9 < len(data):
            if data[i] != 0xFF:
                i += 1
                continue
            marker = data[i + 1]
            if marker == 0xFF or marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
                i += 1 if marker == 0xFF else 2
                continue
            if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                height, width = struct.unpack(">HH", data[i + 5:i + 9])
                return width, height
            i += 2 + int.from_bytes(data[i + 2:i + 4], "big")
    return None


class _ImageArray:
    """A (N, H, W[, C]) image array read once from a .npy or .npz file."""

    def __init__(self, path, value_range="auto"):
        import numpy as np

        if path.lower().endswith(".npz"):
            with np.load(path) as archive:
                keys = list(archive.keys())
                if len(keys) == 1:
                    key = keys[0]
                elif "images" in keys:
                    key = "images"
                else:
                    raise ValueError(f"{path} holds several arrays {keys}; keep one, or name "
                                     "the images 'images'")
                array = archive[key]
        else:
            array = np.load(path, allow_pickle=False)
        if not (array.ndim == 3 or (array.ndim == 4 and array.shape[-1] in (1, 3, 4))):
            raise ValueError(f"{path}: expected images of shape (N, H, W) or (N, H, W, C) with "
                             f"C in 1, 3, 4 (channels last); got shape {array.shape}")
        self.low, self.high = self._value_range(path, array, value_range)
        self.array = array

    @staticmethod
    def _value_range(path, array, value_range):
        if value_range not in VALUE_RANGES:
            raise ValueError(f"value_range must be one of {sorted(VALUE_RANGES)}; got {value_range!r}")
        if VALUE_RANGES[value_range] is not None:
            return VALUE_RANGES[value_range]
        if array.size == 0:
            return 0.0, 255.0
        low, high = float(array.min()), float(array.max())
        if array.dtype.kind in "ui":
            if low < 0 or high > 255:
                raise ValueError(f"{path}: integer images must be in [0, 255]; got [{low}, {high}]")
            return 0.0, 255.0
        if array.dtype.kind != "f" or not (math.isfinite(low) and math.isfinite(high)):
            raise ValueError(f"{path}: expected finite integer or float images; got {array.dtype}")
        if low < 0:
            if low < -1.01 or high > 1.01:
                raise ValueError(f"{path}: values in [{low:.3g}, {high:.3g}] are neither in "
                                 "[-1, 1] nor in [0, 255]; pass value_range")
            return -1.0, 1.0
        if high > 1.01:
            if high > 255.5:
                raise ValueError(f"{path}: values in [{low:.3g}, {high:.3g}] are neither in "
                                 "[-1, 1] nor in [0, 255]; pass value_range")
            return 0.0, 255.0
        raise ValueError(f"{path}: float values in [{low:.3g}, {high:.3g}] could be [-1, 1] or "
                         "[0, 1] images; pass value_range='minus1to1' or '0to1' "
                         "(--value-range on the command line)")

    def __len__(self):
        return len(self.array)

    def png(self, index):
        import numpy as np

        image = np.asarray(self.array[index], dtype=np.float64)
        image = (image - self.low) * (255.0 / (self.high - self.low))
        return encode_png(np.clip(np.rint(image), 0, 255).astype(np.uint8))


@dataclasses.dataclass(frozen=True)
class StudyImage:
    """One image of a study.

    Attributes:
        key: stable identifier saved with each judgment, `"<label>/<relative path>"`
            (array images: `"<label>/<file>[<index>]"`); never shown to the person judging.
        label: "fake" (generated) or "real".
        path: the file the image comes from.
        index: position in an array file, `None` for an image file.
    """

    key: str
    label: str
    path: str
    index: int = None
    array: _ImageArray = dataclasses.field(default=None, compare=False, repr=False)

    def read(self):
        """Returns `(bytes, content_type)`: a PNG or JPEG file as stored, an array image as PNG."""
        if self.array is not None:
            return self.array.png(self.index), "image/png"
        with open(self.path, "rb") as f:
            data = f.read()
        content_type = _content_type(data)
        if content_type is None:
            raise ValueError(f"{self.path} is not a PNG or JPEG image")
        return data, content_type

    def header(self, num_bytes=65536):
        if self.array is not None:
            return self.read()[0]
        with open(self.path, "rb") as f:
            return f.read(num_bytes)


def load_images(path, label, value_range="auto"):
    """The images of one side of a study, in a stable (sorted) order.

    Args:
        path: a folder (searched recursively, hidden entries skipped) of PNG/JPEG
            files and/or `.npy`/`.npz` arrays, or one such array file. Arrays are
            (N, H, W) or (N, H, W, C), channels last.
        label: "fake" for generated images, "real" for real ones.
        value_range: how array values map to pixels: "auto" (integers and floats
            above 1: [0, 255]; floats with negatives: [-1, 1]; floats in [0, 1]
            are ambiguous and raise), "minus1to1", "0to1" or "0to255".

    Returns:
        A list of `StudyImage`.

    Example:

    >>> from keras_gen.evaluation import load_images
    >>> images = load_images("samples/", "fake")          # doctest: +SKIP
    >>> images[0].key                                      # doctest: +SKIP
    'fake/sample_000.png'
    """
    if label not in LABELS:
        raise ValueError(f"label must be 'fake' or 'real'; got {label!r}")
    path = os.fspath(path)
    if os.path.isfile(path):
        files = [(path, os.path.basename(path))]
        if not path.lower().endswith(ARRAY_EXTENSIONS + IMAGE_EXTENSIONS):
            raise ValueError(f"{path}: expected a folder, a PNG/JPEG image or a .npy/.npz array")
    elif os.path.isdir(path):
        files = []
        for folder, subfolders, names in os.walk(path):
            subfolders[:] = sorted(d for d in subfolders if not d.startswith("."))
            for name in names:
                if not name.startswith(".") and name.lower().endswith(
                        IMAGE_EXTENSIONS + ARRAY_EXTENSIONS):
                    full = os.path.join(folder, name)
                    files.append((full, os.path.relpath(full, path).replace(os.sep, "/")))
        files.sort(key=lambda item: item[1])
    else:
        raise FileNotFoundError(f"no such file or folder: {path}")

    images = []
    for full, relative in files:
        if relative.lower().endswith(ARRAY_EXTENSIONS):
            array = _ImageArray(full, value_range)
            images.extend(StudyImage(f"{label}/{relative}[{i}]", label, full, i, array)
                          for i in range(len(array)))
        else:
            images.append(StudyImage(f"{label}/{relative}", label, full))
    if not images:
        raise ValueError(f"no PNG/JPEG images or .npy/.npz arrays found in {path}")
    return images


# --------------------------------------------------------------------------- judgments


def read_judgments(path):
    """The judgments saved in a JSON lines file (an empty list if it does not exist).

    Lines that are not complete judgments (e.g. a line cut short by a crash)
    are skipped with a warning on stderr.
    """
    if not os.path.exists(path):
        return []
    judgments = []
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                if record["label"] not in LABELS or record["judgment"] not in LABELS:
                    raise ValueError("label and judgment must be 'real' or 'fake'")
                str(record["image"])
            except (ValueError, KeyError, TypeError) as error:
                print(f"keras-gen-judge: skipping line {number} of {path}: {error}", file=sys.stderr)
                continue
            judgments.append(record)
    return judgments


class HumanStudy:
    """State of a real-vs-fake study: which images, in which order, and the judgments so far.

    The images of each side are the sorted contents of `generated` and `real`;
    `max_images` keeps a seeded random subset of each side. The order of the
    trials is a seeded shuffle of both sides together. Judgments already in
    `output` are loaded first: those images are not shown again (they count
    towards `max_images`), and with the same `seed` the remaining images come
    in the same order as in the interrupted run. Safe to share between the
    threads of a server.

    Args:
        generated: folder or array file of generated images (see `load_images`).
        real: folder or array file of real images.
        output: JSON lines file of judgments, appended to (and read on resume).
        seed: seed of the subset and the order (`None`: a fresh random order).
        max_images: at most this many images from each side (`None`: all).
        value_range: how array values map to pixels (see `load_images`).

    Example:

    ```python
    from keras_gen.evaluation import HumanStudy

    study = HumanStudy("samples/", "real/", output="judgments.jsonl", seed=0)
    trial = study.next_trial()       # {"token": ..., "position": 1, "total": ..., "done": False}
    data, content_type = study.image(trial["token"])
    study.record(trial["token"], "real")
    print(study.report()["fake_judged_real"])
    ```
    """

    def __init__(self, generated, real, output="judgments.jsonl", seed=None, max_images=None,
                 value_range="auto"):
        if max_images is not None and max_images < 1:
            raise ValueError(f"max_images must be at least 1; got {max_images}")
        self.output = os.fspath(output)
        self.seed = seed
        self.max_images = max_images
        self.session = secrets.token_hex(6)
        self._lock = threading.Lock()
        self._tokens = {}
        self.judgments = read_judgments(self.output)
        sides = {"fake": load_images(generated, "fake", value_range),
                 "real": load_images(real, "real", value_range)}
        self.num_available = {label: len(images) for label, images in sides.items()}
        judged = {j["image"] for j in self.judgments}

        rng = random.Random(seed)
        selection = []
        for label in LABELS:
            shuffled = list(sides[label])
            rng.shuffle(shuffled)
            if max_images is None:
                selection += shuffled
            else:
                done = [im for im in shuffled if im.key in judged][:max_images]
                fresh = [im for im in shuffled if im.key not in judged]
                selection += done + fresh[:max_images - len(done)]
        selection.sort(key=lambda im: im.key)
        rng.shuffle(selection)
        self.images = selection
        self._remaining = [im for im in selection if im.key not in judged]
        self.warnings = self._check_sides()

    def _check_sides(self):
        """Differences between the two sides that could give the answer away."""
        warnings = []
        formats, sizes = {}, {}
        for label in LABELS:
            sample = [im for im in self.images if im.label == label][:50]
            headers = [im.header() for im in sample]
            formats[label] = sorted({(_content_type(h) or "?").replace("image/", "").upper()
                                     for h in headers})
            sizes[label] = sorted({_image_size(h) for h in headers} - {None})
        if formats["fake"] and formats["real"] and formats["fake"] != formats["real"]:
            warnings.append(f"generated images are {'/'.join(formats['fake'])} but real images "
                            f"are {'/'.join(formats['real'])}: the format can give the answer "
                            "away; convert both sides to one format")
        if sizes["fake"] and sizes["real"] and sizes["fake"] != sizes["real"]:
            def show(s):
                return ", ".join(f"{w}x{h}" for w, h in s[:3]) + (", ..." if len(s) > 3 else "")
            warnings.append(f"image sizes differ (generated {show(sizes['fake'])}; real "
                            f"{show(sizes['real'])}): the page shows every image in the same "
                            "box, but resolution can still give the answer away")
        return warnings

    @property
    def num_remaining(self):
        with self._lock:
            return len(self._remaining)

    def next_trial(self):
        """The image to show next: `{"done", "token", "position", "total"}`.

        `token` is an opaque name for the image (it does not reveal the file or
        the side); it stays the same until that image is judged. `done` is true,
        and `token` is `None`, once every image has been judged.
        """
        with self._lock:
            total = len(self.images)
            if not self._remaining:
                return {"done": True, "token": None, "position": total, "total": total}
            image = self._remaining[0]
            token = next((t for t, im in self._tokens.items() if im is image), None)
            if token is None:
                token = secrets.token_urlsafe(12)
                self._tokens[token] = image
            return {"done": False, "token": token,
                    "position": total - len(self._remaining) + 1, "total": total}

    def image(self, token):
        """`(bytes, content_type)` of the image named by `token`; `KeyError` if unknown."""
        with self._lock:
            image = self._tokens[token]
        return image.read()

    def record(self, token, judgment, response_ms=None):
        """Saves the judgment ("real" or "fake") of the image named by `token`.

        The line is appended to `output` and flushed to disk before this
        returns. Raises `KeyError` if `token` is unknown or already judged,
        `ValueError` for another answer than "real" or "fake".

        Returns:
            The saved record (a dict).
        """
        if judgment not in LABELS:
            raise ValueError(f"judgment must be 'real' or 'fake'; got {judgment!r}")
        if response_ms is not None and (not isinstance(response_ms, (int, float))
                                        or isinstance(response_ms, bool) or response_ms < 0
                                        or not math.isfinite(response_ms)):
            raise ValueError(f"response_ms must be a non-negative number; got {response_ms!r}")
        with self._lock:
            image = self._tokens.get(token)
            if image is None or image not in self._remaining:
                raise KeyError("unknown image, or already judged")
            record = {
                "image": image.key,
                "label": image.label,
                "judgment": judgment,
                "correct": judgment == image.label,
                "response_ms": None if response_ms is None else round(float(response_ms)),
                "time": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
                "session": self.session,
            }
            self._append(record)
            self._remaining.remove(image)
            del self._tokens[token]
            self.judgments.append(record)
            return record

    def _append(self, record):
        folder = os.path.dirname(os.path.abspath(self.output))
        os.makedirs(folder, exist_ok=True)
        with open(self.output, "a+b") as f:
            # A line cut short by a crash must not swallow this one.
            f.seek(0, os.SEEK_END)
            if f.tell() > 0:
                f.seek(-1, os.SEEK_END)
                if f.read(1) != b"\n":
                    f.write(b"\n")
            f.write((json.dumps(record) + "\n").encode("utf-8"))
            f.flush()
            os.fsync(f.fileno())

    def report(self, confidence=0.95, num_samples=10000, seed=0):
        """`hype_report` of every judgment saved in `output` (this run's and earlier ones)."""
        with self._lock:
            judgments = list(self.judgments)
        return hype_report(judgments, confidence=confidence, num_samples=num_samples, seed=seed)


# --------------------------------------------------------------------------- web page

PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Real or fake?</title>
<style>
  body { font-family: system-ui, sans-serif; margin: 0 1rem; display: flex;
         flex-direction: column; align-items: center; background: #f3f3f3; color: #111; }
  h1 { font-size: 1.4rem; margin: 1.2rem 0 0.3rem; }
  p { margin: 0.3rem 0; max-width: 40rem; text-align: center; }
  #frame { width: 384px; height: 384px; max-width: 90vw; max-height: 90vw; background: #fff;
           border: 1px solid #bbb; display: flex; align-items: center; justify-content: center; }
  [hidden] { display: none !important; }
  #stimulus { width: 100%; height: 100%; object-fit: contain; }
  #stimulus.small { image-rendering: pixelated; }
  .buttons { margin: 1rem; display: flex; gap: 1.5rem; }
  button { font-size: 1.15rem; padding: 0.6rem 2.2rem; cursor: pointer; }
  #message { color: #a00; min-height: 1.2em; }
  table { border-collapse: collapse; margin: 0.5rem; }
  td, th { padding: 0.3rem 0.8rem; border-bottom: 1px solid #ccc; text-align: left; }
</style>
</head>
<body>
<h1>Is this image real or fake?</h1>
<p>Some images are real; others were made by a generative model. Look as long as you like,
then answer. Keys: <kbd>R</kbd> real, <kbd>F</kbd> fake.</p>
<p id="progress" aria-live="polite">Loading&hellip;</p>
<div id="frame"><img id="stimulus" alt="the image to judge" hidden></div>
<div class="buttons" id="buttons">
  <button id="judge-real" type="button" disabled>Real (R)</button>
  <button id="judge-fake" type="button" disabled>Fake (F)</button>
</div>
<p id="message" role="alert"></p>
<section id="report" hidden></section>
<script>
"use strict";
const image = document.getElementById("stimulus");
const buttons = [document.getElementById("judge-real"), document.getElementById("judge-fake")];
const progress = document.getElementById("progress");
let current = null, shownAt = 0, busy = false;

function say(text) { document.getElementById("message").textContent = text; }
function enable(on) { buttons.forEach(b => { b.disabled = !on; }); }

function show(trial) {
  if (trial.done) { finish(); return; }
  current = trial;
  enable(false);
  progress.textContent = "Image " + trial.position + " of " + trial.total;
  image.hidden = false;
  image.src = "/image/" + encodeURIComponent(trial.token);
}

image.addEventListener("load", () => {
  const box = document.getElementById("frame").clientWidth;
  image.classList.toggle("small", Math.max(image.naturalWidth, image.naturalHeight) < box);
  shownAt = performance.now();
  enable(true);
});
image.addEventListener("error", () => say("This image could not be loaded; reload the page."));

async function judge(answer) {
  if (!current || busy || buttons[0].disabled) return;
  busy = true;
  enable(false);
  const body = JSON.stringify({token: current.token, judgment: answer,
                               response_ms: Math.round(performance.now() - shownAt)});
  try {
    const response = await fetch("/api/judgment", {
      method: "POST", headers: {"Content-Type": "application/json"}, body: body});
    const data = await response.json();
    if (!response.ok && !data.next) throw new Error(data.error || response.statusText);
    say(response.ok ? "" : data.error);
    show(data.next);
  } catch (error) {
    say("Could not save this answer (" + error.message + "); try again.");
    enable(true);
  } finally {
    busy = false;
  }
}

function percent(x) { return (100 * x).toFixed(1) + "%"; }

async function finish() {
  current = null;
  enable(false);
  image.removeAttribute("src");
  document.getElementById("frame").hidden = true;
  document.getElementById("buttons").hidden = true;
  progress.textContent = "All images judged. Thank you!";
  const report = await (await fetch("/report")).json();
  const rows = [["fake_judged_real", "Fakes judged real (fool rate)"],
                ["real_judged_fake", "Reals judged fake"],
                ["hype_infinity", "HYPE\\u221e (overall error rate)"]];
  const section = document.getElementById("report");
  const table = document.createElement("table");
  const head = table.insertRow();
  ["", "rate", Math.round(100 * report.confidence) + "% CI", "errors"].forEach(text => {
    const th = document.createElement("th"); th.textContent = text; head.appendChild(th);
  });
  rows.forEach(([key, title]) => {
    const entry = report[key];
    const row = table.insertRow();
    row.id = "report-" + key;
    row.dataset.rate = entry.rate === null ? "" : String(entry.rate);
    [title,
     entry.rate === null ? "-" : percent(entry.rate),
     entry.ci === null ? "-" : "[" + percent(entry.ci[0]) + ", " + percent(entry.ci[1]) + "]",
     entry.errors + " / " + entry.total].forEach(text => { row.insertCell().textContent = text; });
  });
  section.replaceChildren(table);
  section.hidden = false;
}

buttons[0].addEventListener("click", () => judge("real"));
buttons[1].addEventListener("click", () => judge("fake"));
document.addEventListener("keydown", event => {
  if (event.key === "r" || event.key === "R") judge("real");
  if (event.key === "f" || event.key === "F") judge("fake");
});

fetch("/api/next").then(r => r.json()).then(show).catch(e => say("Server unreachable: " + e.message));
</script>
</body>
</html>
"""


class _StudyHandler(BaseHTTPRequestHandler):
    """Routes: GET / (the page), /api/next, /image/<token>, /report; POST /api/judgment."""

    study = None  # set on the subclass made by make_server
    server_version = "keras-gen-judge"
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):  # noqa: A002 - the base class's signature
        pass

    def _send(self, status, body, content_type):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        self.send_header("Content-Security-Policy",
                         "default-src 'none'; img-src 'self'; connect-src 'self'; "
                         "style-src 'unsafe-inline'; script-src 'unsafe-inline'")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, status, value):
        self._send(status, json.dumps(value).encode("utf-8"), "application/json")

    def _local_host(self):
        # A page on another site cannot reach the study through DNS rebinding.
        try:
            name = urlsplit("//" + (self.headers.get("Host") or "").strip()).hostname
        except ValueError:
            name = None
        if name in (HOST, "localhost"):
            return True
        self.close_connection = True
        self._json(403, {"error": "the study answers only to 127.0.0.1 / localhost"})
        return False

    def do_GET(self):  # noqa: N802 - http.server's name
        if not self._local_host():
            return
        path = urlsplit(self.path).path
        if path in ("/", "/index.html"):
            self._send(200, PAGE.encode("utf-8"), "text/html; charset=utf-8")
        elif path == "/api/next":
            self._json(200, self.study.next_trial())
        elif path == "/report":
            self._json(200, self.study.report())
        elif path.startswith("/image/"):
            try:
                data, content_type = self.study.image(path[len("/image/"):])
            except KeyError:
                self._json(404, {"error": "no such image"})
                return
            self._send(200, data, content_type)
        else:
            self._json(404, {"error": "not found"})

    do_HEAD = do_GET

    def do_POST(self):  # noqa: N802 - http.server's name
        if not self._local_host():
            return
        # Error answers sent before the body is read close the connection, so that
        # an unread body is never taken for the next request.
        if urlsplit(self.path).path != "/api/judgment":
            self.close_connection = True
            self._json(404, {"error": "not found"})
            return
        if self.headers.get("Content-Type", "").split(";")[0].strip() != "application/json":
            self.close_connection = True
            self._json(415, {"error": "send the judgment as application/json"})
            return
        try:
            length = int(self.headers.get("Content-Length", "0"))
        except ValueError:
            length = -1
        if not 0 < length <= _MAX_REQUEST_BYTES:
            self.close_connection = True
            self._json(413 if length > 0 else 400, {"error": "bad request size"})
            return
        try:
            body = json.loads(self.rfile.read(length))
            if not isinstance(body, dict):
                raise ValueError("expected a JSON object")
            self.study.record(body.get("token"), body.get("judgment"), body.get("response_ms"))
        except KeyError as error:
            self._json(409, {"error": error.args[0], "next": self.study.next_trial()})
            return
        except (ValueError, TypeError) as error:
            self._json(400, {"error": str(error)})
            return
        self._json(200, {"ok": True, "next": self.study.next_trial()})


def make_server(study, port=0):
    """A `ThreadingHTTPServer` for `study` bound to 127.0.0.1 (`port=0`: a free port).

    Call `serve_forever()` on it (or use `serve_study`). It binds only to the
    loopback address and answers only requests addressed to 127.0.0.1 or
    localhost.
    """
    handler = type("StudyHandler", (_StudyHandler,), {"study": study})
    server = ThreadingHTTPServer((HOST, port), handler)
    server.daemon_threads = True
    return server


def serve_study(study, port=0):
    """Serves `study` from a background thread; returns `(server, url)`.

    Stop it with `server.shutdown(); server.server_close()`.

    Example:

    ```python
    from keras_gen.evaluation import HumanStudy, serve_study

    server, url = serve_study(HumanStudy("samples/", "real/", seed=0))
    print("open", url)
    ```
    """
    server = make_server(study, port)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                              name="keras-gen-judge", daemon=True)
    thread.start()
    server.thread = thread
    return server, f"http://{HOST}:{server.server_address[1]}/"


# --------------------------------------------------------------------------- command line


def _parser():
    parser = argparse.ArgumentParser(
        prog="keras-gen-judge",
        description="Human real-vs-fake study (HYPE∞): serves a page on 127.0.0.1 that shows "
                    "generated and real images one at a time in random order, saves each "
                    "judgment to a JSON lines file (stop and resume at will) and reports the "
                    "fool rate, the real-judged-fake rate and the HYPE∞ error rate with "
                    "bootstrap confidence intervals.",
        epilog="example: keras-gen-judge samples/ real/ --output judgments.jsonl --seed 0 "
               "--max-images 50")
    parser.add_argument("generated", help="folder of generated PNG/JPEG images (or .npy/.npz "
                        "arrays), or one .npy/.npz array file")
    parser.add_argument("real", help="folder of real images, or one .npy/.npz array file")
    parser.add_argument("--output", default="judgments.jsonl",
                        help="JSON lines file of judgments, appended to and read on restart "
                             "(default: %(default)s)")
    parser.add_argument("--port", type=int, default=0,
                        help="port on 127.0.0.1 (default: 0, a free port)")
    parser.add_argument("--seed", type=int, default=None,
                        help="seed of the image order and subset; the same seed resumes in the "
                             "same order (default: a fresh random order)")
    parser.add_argument("--max-images", type=int, default=None,
                        help="use at most this many images from each folder (a random subset)")
    parser.add_argument("--value-range", choices=sorted(VALUE_RANGES), default="auto",
                        help="pixel range of .npy/.npz arrays (default: auto)")
    parser.add_argument("--bootstrap-samples", type=int, default=10000,
                        help="bootstrap resamples of the confidence intervals (default: %(default)s)")
    parser.add_argument("--report", action="store_true",
                        help="print the report of the saved judgments and exit")
    parser.add_argument("--open", action="store_true",
                        help="open the page in the default web browser")
    return parser


def main(argv=None):
    """`keras-gen-judge`: runs a study until Ctrl+C, then prints the report."""
    args = _parser().parse_args(argv)
    if args.report:
        report = hype_report(read_judgments(args.output), num_samples=args.bootstrap_samples)
        print(format_report(report))
        return 0
    try:
        study = HumanStudy(args.generated, args.real, output=args.output, seed=args.seed,
                           max_images=args.max_images, value_range=args.value_range)
    except (OSError, ValueError) as error:
        print(f"keras-gen-judge: {error}", file=sys.stderr)
        return 2
    for warning in study.warnings:
        print(f"keras-gen-judge: warning: {warning}", file=sys.stderr)
    # Ctrl+C stops the study even when the process started with SIGINT
    # ignored (as a shell starts background jobs, `keras-gen-judge ... &`).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    server, url = serve_study(study, args.port)
    # Everything after the server starts is inside the try: a Ctrl+C that
    # comes as soon as the address is printed still gives the report.
    try:
        judged = len(study.images) - study.num_remaining
        print(f"{study.num_available['fake']} generated and {study.num_available['real']} real "
              f"images; studying {len(study.images)}, {judged} already judged in {args.output}, "
              f"{study.num_remaining} to go.")
        print(f"Open {url} in a browser (Ctrl+C to stop; judgments are saved as they are made).",
              flush=True)
        if args.open:
            import webbrowser

            webbrowser.open(url)
        while server.thread.is_alive():
            server.thread.join(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        server.shutdown()
        server.server_close()
    print()
    print(format_report(study.report(num_samples=args.bootstrap_samples)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
