"""How long smart collections take on a large library, and zero-shot classification throughput.

A real catalog (SQLite, in a temporary folder) holds N synthetic 512-d vectors in clusters
(1,000 "events", each photo its event's direction plus noise, so a description close to
an event has a group of matches that stands out, as in a real library). Descriptions are
encoded by a stand-in text encoder that returns a noisy event direction: what is measured
is photofind's part (reading the catalog, the matrix product, the cutoff, the corrections),
not a model's; a real text tower adds its own ~10 ms per description (benchmarks/README.md,
Encoder). Figures:

* first use: the vectors read from the catalog into memory (once per process);
* add a collection (three descriptions) and get its members; change its descriptions;
  exclude a photo by hand; the counts of every built-in collection;
* refresh after an index run that added 1% more photos (only those are read);
* classification throughput from stored vectors: labels x images per second;
* classification of image files end to end with tiny-shapes (decode + encode + labels).

Prints, never asserts.

    python benchmarks/collections.py              # 100k vectors
    python benchmarks/collections.py --count 20000
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from photofind.core.catalog import Catalog  # noqa: E402
from photofind.core.classify import Scoring, ZeroShotClassifier  # noqa: E402
from photofind.core.clip import ClipEncoder, find_model  # noqa: E402
from photofind.core.collection_store import builtin_labels  # noqa: E402
from photofind.core.collections import CollectionService  # noqa: E402
from photofind.core.shapes import all_classes, generate_library  # noqa: E402

DIM = 512
EVENTS = 1000
MODEL_ID = "synthetic-512"
REPEATS = 5


def unit(x: np.ndarray) -> np.ndarray:
    return (x / np.linalg.norm(x, axis=-1, keepdims=True)).astype(np.float32)


class StandInEncoder:
    """Text vectors near one event's direction, chosen by the text: no model is run."""

    def __init__(self, centres: np.ndarray) -> None:
        self.centres = centres
        self.model_id = MODEL_ID
        self.embed_dim = DIM

    def encode_texts(self, texts) -> np.ndarray:
        out = []
        for text in texts:
            rng = np.random.default_rng(abs(hash(text)) % 2**32)
            centre = self.centres[rng.integers(len(self.centres))]
            out.append(unit(centre + 0.6 * rng.standard_normal(DIM) / np.sqrt(DIM)))
        return np.stack(out)


def fill_catalog(catalog: Catalog, count: int, centres: np.ndarray, start: int = 0) -> None:
    rng = np.random.default_rng(start)
    events = rng.integers(len(centres), size=count)
    vectors = unit(centres[events] + 0.8 * rng.standard_normal((count, DIM)) / np.sqrt(DIM))
    with catalog.transaction() as db:
        db.executemany(
            "INSERT INTO photos (id, path, size, mtime_ns, content_hash, status, model_id) "
            "VALUES (?, ?, 1, 1, ?, 'indexed', ?)",
            [
                (i + 1, f"/photos/{i:07d}.jpg".encode(), i.to_bytes(8, "big"), MODEL_ID)
                for i in range(start, start + count)
            ],
        )
        db.executemany(
            "INSERT INTO embeddings (photo_id, model_id, vector) VALUES (?, ?, ?)",
            [(start + k + 1, MODEL_ID, v.tobytes()) for k, v in enumerate(vectors)],
        )


def timed(action, repeats: int = 1) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = action()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def collections_part(count: int, folder: Path) -> None:
    centres = unit(np.random.default_rng(1).standard_normal((EVENTS, DIM)))
    catalog = Catalog(folder / "catalog.sqlite3")
    t0 = time.perf_counter()
    fill_catalog(catalog, count, centres)
    print(f"catalog with {count:,} photos written in {time.perf_counter() - t0:.1f} s")
    encoder = StandInEncoder(centres)
    scoring = Scoring(100.0, None, "stand-in")
    classifier = ZeroShotClassifier(encoder, ("{}",), scoring)  # type: ignore[arg-type]
    service = CollectionService(catalog, classifier)

    load, _ = timed(service.vectors.ensure_loaded)
    print(f"first use: {count:,} vectors read into memory in {load * 1000:.0f} ms")

    descriptions = ["a red car", "a red sports car", "my red car in the snow"]
    add, members = timed(lambda: len(service.add("my red car", descriptions).name) and
                         service.member_ids("my red car"))  # fmt: skip
    print(f"add a collection (3 descriptions) and get its members: {add * 1000:.0f} ms "
          f"({len(members)} members)")  # fmt: skip

    texts = iter(f"whiteboard photo {i}" for i in range(100))

    def change() -> int:
        service.edit("my red car", descriptions=[next(texts), next(texts)])
        return len(service.member_ids("my red car"))

    edit, found = timed(change, REPEATS)
    print(f"change its descriptions (2 new ones) and get its members: {edit * 1000:.0f} ms "
          f"(median of {REPEATS}; {found} members)")  # fmt: skip

    photo = Path(f"/photos/{int(service.member_ids('my red car')[0]) - 1:07d}.jpg")
    correct, _ = timed(lambda: (service.exclude("my red car", [photo]),
                                service.member_ids("my red car")))  # fmt: skip
    print(f"take one photo out by hand and get the members: {correct * 1000:.0f} ms")

    def counts() -> dict:
        service._members.clear()  # every built-in computed again, none from the cache
        return service.counts()

    count_all, result = timed(counts, 3)
    print(f"counts of all {len(result)} collections that are on, none cached: "
          f"{count_all * 1000:.0f} ms")  # fmt: skip

    grown = count // 100
    fill_catalog(catalog, grown, centres, start=count)
    refresh, _ = timed(service.refresh)
    members_after, _ = timed(lambda: service.member_ids("my red car"))
    print(f"refresh after an index run added {grown:,} photos: {refresh * 1000:.0f} ms, then "
          f"the members again: {members_after * 1000:.0f} ms")  # fmt: skip

    classifier = service.classifier
    labels = [f"{c} {s}" for c, s in all_classes()]
    matrix = service.vectors.matrix
    seconds, _ = timed(lambda: classifier.probabilities(matrix, labels), 3)
    rate = len(matrix) * len(labels) / seconds
    print(f"classification from stored vectors: {len(matrix):,} images x {len(labels)} labels "
          f"in {seconds * 1000:.0f} ms = {rate / 1e6:.1f} M label-images/s")  # fmt: skip
    catalog.close()


def files_part(folder: Path, count: int = 96) -> None:
    photos = generate_library(folder / "photos", count, seed=5, size_range=(300, 1600))
    encoder = ClipEncoder(find_model("tiny-shapes"), provider="cpu")
    classifier = ZeroShotClassifier(encoder)
    labels = [f"{c} {s}" for c, s in all_classes()]
    classifier.label_vectors(labels)  # the labels' text vectors, once per label
    seconds, results = timed(
        lambda: list(classifier.classify_files([p.path for p in photos], labels)), 3
    )
    right = sum(r.labels[0].label == p.label for r, p in zip(results, photos, strict=True))
    print(f"classify {count} image files (300-1600 px, every format) with tiny-shapes, "
          f"{len(labels)} labels: {count / seconds:.0f} images/s = "
          f"{count * len(labels) / seconds:,.0f} label-images/s; top-1 {right}/{count}")  # fmt: skip
    t0 = time.perf_counter()
    ZeroShotClassifier(encoder).label_vectors(builtin_labels())
    print(f"the built-in labels' text vectors ({len(builtin_labels())} labels x "
          f"{len(classifier.templates)} templates, tiny-shapes): "
          f"{(time.perf_counter() - t0) * 1000:.0f} ms")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000)
    args = parser.parse_args()
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, load {os.getloadavg()[0]:.1f}")  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        collections_part(args.count, Path(tmp))
        files_part(Path(tmp))


if __name__ == "__main__":
    main()
