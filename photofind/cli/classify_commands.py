"""``classify``: which of some labels best describes each image, with probabilities.

::

    photofind classify IMAGE... [--labels "L1,L2,..."] [--labels-file FILE] [--json]
                       [--top N] [--independent]

Any image file, in the library or not; nothing is written. Without labels, the built-in
collections' labels. ``--json`` prints ``{"results": [{"path": ..., "labels": [{"label":
..., "probability": ...}, ...]}]}`` with every label, most probable first; the text output
shows each file's ``--top`` labels. A file that cannot be read is named on stderr and the
exit code is 1; the other files are still classified.
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Sequence
from pathlib import Path

from photofind.cli.common import EXIT_ERROR, EXIT_OK, UsageError, add_command, positive_int
from photofind.cli.output import err, one_line, out
from photofind.core.classify import (
    ClassifyError,
    ClassifyFailure,
    LabelProbability,
    ZeroShotClassifier,
    clean_labels,
)
from photofind.core.clip.bundle import find_model
from photofind.core.clip.encoder import ClipEncoder, resolve_provider
from photofind.core.collection_store import builtin_labels
from photofind.core.config import AppPaths, query_language
from photofind.core.models.store import uses_int8

DEFAULT_TOP = 5  # a small table: the answer and its closest rivals


def read_labels(args: argparse.Namespace) -> list[str]:
    labels: list[str] = []
    for given in args.labels or ():
        labels += given.split(",")
    for name in args.labels_file or ():
        try:
            text = Path(name).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
            raise UsageError(
                f"The labels file {one_line(name)} cannot be read ({reason})."
            ) from None
        labels += [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    if not args.labels and not args.labels_file:
        return builtin_labels()
    cleaned = clean_labels(labels)
    if not cleaned:
        raise UsageError('No labels were given; list them, e.g. --labels "cat,dog,car".')
    return cleaned


def _print_table(path: Path, labels: Sequence[LabelProbability], top: int) -> None:
    out(one_line(os.path.abspath(path)))
    for item in labels[:top]:
        out(f"  {100 * item.probability:5.1f}%  {one_line(item.label)}")


def cmd_classify(args: argparse.Namespace, paths: AppPaths) -> int:
    labels = read_labels(args)
    sources = [Path(os.path.abspath(p)) for p in args.images]
    for given, source in zip(args.images, sources, strict=True):
        if source.is_dir():
            raise UsageError(f"{one_line(given)} is a folder; give image files.")
    bundle = find_model(args.model, paths.models_dir)
    provider = resolve_provider(args.provider)
    encoder = ClipEncoder(
        bundle, provider, int8=provider == "cpu" and uses_int8(bundle), language=query_language()
    )
    classifier = ZeroShotClassifier(encoder)
    try:
        classifier.check(labels, independent=args.independent)
    except ClassifyError as exc:
        raise UsageError(str(exc)) from None
    results = []
    failed = 0
    for result in classifier.classify_files(sources, labels, independent=args.independent):
        if isinstance(result, ClassifyFailure):
            failed += 1
            err(f"photofind: {one_line(result.source)}: {one_line(result.reason)}")
            continue
        results.append(result)
        if not args.json:
            _print_table(result.source, result.labels, args.top)
    if args.json:
        found = [
            {
                "path": os.fsdecode(r.source),
                "labels": [{"label": lp.label, "probability": lp.probability} for lp in r.labels],
            }
            for r in results
        ]
        out(json.dumps({"results": found}))
    return EXIT_ERROR if failed else EXIT_OK


def add_commands(commands: argparse._SubParsersAction) -> None:
    sub = add_command(
        commands, "classify", cmd_classify, "say which of some labels best describes each image"
    )
    sub.add_argument("images", nargs="+", metavar="IMAGE", help="image files, anywhere")
    sub.add_argument(
        "--labels", action="append", metavar="L1,L2,...",
        help="labels to choose between, separated by commas (default: the built-in "
        "collections' labels)",
    )  # fmt: skip
    sub.add_argument(
        "--labels-file", action="append", metavar="FILE",
        help="a text file with one label per line (lines starting with # are left out)",
    )  # fmt: skip
    sub.add_argument("--json", action="store_true", help="print every label of every image as JSON")
    sub.add_argument(
        "--top", type=positive_int, default=DEFAULT_TOP,
        help="labels shown per image in the text output (default: %(default)s)",
    )  # fmt: skip
    sub.add_argument(
        "--independent", action="store_true",
        help="each label's own probability instead of a choice between them (SigLIP models)",
    )  # fmt: skip
