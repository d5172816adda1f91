"""Results that show one picture (copies, re-encodes, resizes), as the grid shows them: one
cell for the picture, its best-ranked photo, with a badge that counts the photos; a click on
the badge expands the group in place (every photo of it after the first, each badged "2/3")
and another collapses it.

The groups come from the search (:func:`~photofind.core.result_groups.same_picture_groups`);
here they are narrowed to the hits shown (the window may leave some out, such as the query's
own photo) and ordered by them, so a group's first photo is always the best-ranked one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from photofind.core.result_groups import Groups
from photofind.core.search import SearchHit


@dataclass(frozen=True)
class Badge:
    count: int  # photos of the picture among the results
    place: int  # 1: the photo shown for the picture; 2, 3...: its copies, shown when expanded
    expanded: bool

    @property
    def text(self) -> str:
        return f"{self.place}/{self.count}" if self.expanded else str(self.count)


class PictureGroups:
    """The groups of one list of hits, and which of them are expanded."""

    def __init__(self, hits: Sequence[SearchHit] = (), groups: Groups = (),
                 expanded: Iterable[int] = ()) -> None:  # fmt: skip
        rank = {h.photo_id: n for n, h in enumerate(hits)}
        self._of: dict[int, tuple[int, ...]] = {}
        for group in groups:
            members = tuple(sorted({i for i in group if i in rank}, key=rank.__getitem__))
            if len(members) > 1:
                self._of.update((m, members) for m in members)
        opened = set(expanded)
        # Kept by any member, so a group stays open when its first photo is trashed.
        self._expanded = {g[0] for g in self._of.values() if opened.intersection(g)}
        self.given = groups

    def members(self, photo_id: int) -> tuple[int, ...]:
        """The photos of ``photo_id``'s picture, best-ranked first; () when it is alone."""
        return self._of.get(photo_id, ())

    def is_copy(self, photo_id: int) -> bool:
        """Whether ``photo_id`` is in a group and not its first photo."""
        members = self._of.get(photo_id)
        return members is not None and members[0] != photo_id

    def is_expanded(self, photo_id: int) -> bool:
        members = self._of.get(photo_id)
        return members is not None and members[0] in self._expanded

    def toggle(self, photo_id: int) -> bool:
        """Expand ``photo_id``'s group, or collapse it if expanded; True when expanded now."""
        first = self._of[photo_id][0]
        if first in self._expanded:
            self._expanded.discard(first)
            return False
        self._expanded.add(first)
        return True

    @property
    def expanded(self) -> set[int]:
        return set(self._expanded)

    def badge(self, photo_id: int) -> Badge | None:
        """What the cell of ``photo_id`` shows; None for a photo alone or a hidden copy."""
        members = self._of.get(photo_id)
        if members is None:
            return None
        if members[0] in self._expanded:
            return Badge(len(members), members.index(photo_id) + 1, True)
        return Badge(len(members), 1, False) if members[0] == photo_id else None
