"""Acting on duplicate groups: move all but the photo to keep to the system trash.

Only ever the trash (:func:`photofind.core.photo_actions.move_to_trash`), never a delete,
and only photos of groups the caller passes, after the user has seen them. A photo that is
the one to keep in any group given is never trashed, even when another group (of another
kind) lists it among its others: one call never leaves a group with nothing kept.
"""

from __future__ import annotations

from collections.abc import Iterable

from send2trash import send2trash

from photofind.core.duplicates import DuplicateGroup, Kind
from photofind.core.library import Library
from photofind.core.photo_actions import TrashFunction, TrashOutcome, move_to_trash


def others_to_trash(groups: Iterable[DuplicateGroup], kind: Kind | None = None) -> list[int]:
    """Ids of the photos that moving the others of ``groups`` (of ``kind`` only, if given)
    to the trash would move, in group order, each once."""
    chosen = [g for g in groups if kind is None or g.kind == kind]
    kept = {g.keep.id for g in chosen}
    ids: list[int] = []
    seen: set[int] = set()
    for group in chosen:
        for photo in group.others:
            if photo.id not in kept and photo.id not in seen:
                seen.add(photo.id)
                ids.append(photo.id)
    return ids


def trash_others(
    library: Library,
    groups: Iterable[DuplicateGroup],
    kind: Kind | None = None,
    trash: TrashFunction = send2trash,
) -> TrashOutcome:
    """Move the others of each group (one group, or every group of a kind) to the trash;
    the catalog and the search index forget them. A file the trash refuses stays, with a
    sentence in the outcome's problems."""
    return move_to_trash(library, others_to_trash(groups, kind), trash=trash)
