"""``photofind repair [--salvage]``: mend a damaged catalog (see :mod:`photofind.core.repair`)."""

from __future__ import annotations

import argparse
import datetime

from photofind.cli.common import EXIT_OK, add_command
from photofind.cli.output import one_line, out
from photofind.core.config import AppPaths
from photofind.core.humanize import plural
from photofind.core.repair import HEALTHY, RESTORED, RepairReport, repair_catalog


def _when(timestamp: float | None) -> str:
    if timestamp is None:
        return "an unknown time"
    return datetime.datetime.fromtimestamp(timestamp).strftime("%Y-%m-%d %H:%M")


def describe(report: RepairReport) -> list[str]:
    """What repair did, in the lines the command prints."""
    if report.action == HEALTHY:
        return [f"The catalog is healthy ({plural(report.photos, 'photo')}); nothing to repair."]
    lines = []
    if report.problem:
        lines.append(f"The catalog was damaged: {one_line(report.problem)}.")
    if report.action == RESTORED:
        lines.append(
            f"Restored the backup of {_when(report.backup_made_at)} "
            f"({one_line(report.backup)}): {plural(report.photos, 'photo')}."
        )
    else:
        recovered = f"Recovered {plural(report.photos, 'photo')} from the damaged catalog"
        if report.photos_before is not None and report.photos_before > report.photos:
            recovered += f" ({report.photos_before - report.photos} could not be read)"
        lines.append(recovered + ".")
    if report.folders == 0:
        lines.append(
            "No library folder could be read back; add yours again with "
            "'photofind index FOLDER' (photos already in the catalog are not encoded again)."
        )
    if report.damaged_copy is not None:
        lines.append(f"The damaged catalog is kept as {one_line(report.damaged_copy)}.")
    lines.append(
        "Run 'photofind index' to look for the photos added or changed since; only those "
        "are encoded again."
    )
    return lines


def cmd_repair(args: argparse.Namespace, paths: AppPaths) -> int:
    for line in describe(repair_catalog(paths, salvage=args.salvage)):
        out(line)
    return EXIT_OK


def add_commands(commands: argparse._SubParsersAction) -> None:
    repair = add_command(
        commands,
        "repair",
        cmd_repair,
        "check the catalog and, if it is damaged, restore its latest backup or recover what "
        "it still holds (the damaged file is kept)",
    )
    repair.add_argument(
        "--salvage",
        action="store_true",
        help="recover what the damaged catalog still holds instead of restoring a backup",
    )
