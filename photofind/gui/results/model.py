"""The search results as a list model: the matches, a divider, then the closest others.

The view holds no widget per photo; it asks this model for the rows it shows. A search
says which of its hits are matches (:mod:`photofind.core.cutoff`); they come first, in the
chosen order (best first, newest or oldest first), and the other photos stay below one
divider row ("Other photos, less likely"), always best first: a date order over every photo
would put unrelated photos on top. With no match at all nothing is shown until the user asks
for the closest photos anyway. Changing the order never searches again.

The divider is a row of its own (no photo in it) that the delegate paints across the whole
width; every list of photos (:meth:`ResultsModel.hits`) leaves it out.

Photos that show one picture (copies, re-encodes: :mod:`photofind.gui.results.groups`) take
one row, their best-ranked photo's, until the user expands the group: its other photos then
follow that row. The count of matches counts pictures, so copies do not inflate it.
"""

from __future__ import annotations

import html
import os
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import (
    QAbstractListModel,
    QMimeData,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    QUrl,
    Signal,
)

from photofind.core.result_groups import Groups
from photofind.core.search import SearchHit
from photofind.gui.results.groups import Badge, PictureGroups

HIT_ROLE = Qt.ItemDataRole.UserRole + 1
SCORE_ROLE = Qt.ItemDataRole.UserRole + 2  # None: no score to show (filters alone, browsing)
RELEVANCE_ROLE = Qt.ItemDataRole.UserRole + 3  # 0..1, the relevance bar's length
DIVIDER_ROLE = Qt.ItemDataRole.UserRole + 4  # the divider row's text; None on photo rows
BADGE_ROLE = Qt.ItemDataRole.UserRole + 5  # a Badge on the photos of a group; None otherwise

DIVIDER_TEXT = "Other photos, less likely"
SORTS = ("relevance", "date", "oldest")  # best match first, newest first, oldest first

Index = QModelIndex | QPersistentModelIndex


class _Divider:
    """The divider row's place in the rows."""

    def __repr__(self) -> str:
        return "DIVIDER"


DIVIDER = _Divider()
Row = SearchHit | _Divider


def format_taken(taken_at: float | None) -> str:
    if taken_at is None:
        return "unknown"
    try:
        return datetime.fromtimestamp(taken_at).strftime("%d %b %Y, %H:%M")
    except (OverflowError, OSError, ValueError):
        return "unknown"


def relevance(score: float, spread: tuple[float, float], best: float) -> float:
    """The relevance bar's length (0..1) for ``score``: how far it stands above the
    library's mean score for the query (``spread``: mean, standard deviation), measured
    against how far the ``best`` result stands. Raw scores mean different things per model
    and per query (0.95 for a tiny-shapes match, 0.3 for OpenAI CLIP); the best photo gets
    the full bar, a photo like the library's average none."""
    mean, sd = spread
    if sd <= 0 or best <= mean:
        return 0.0
    return min(1.0, max(0.0, (score - mean) / (best - mean)))


def tooltip(hit: SearchHit, scored: bool = True, badge: Badge | None = None) -> str:
    lines = [
        f"<b>{html.escape(hit.path.name)}</b>",
        html.escape(str(hit.path.parent)),
        f"Taken: {format_taken(hit.taken_at)}",
    ]
    if scored:
        verdict = "a good match" if hit.match else "less likely"
        lines.append(f"Score: {hit.score:.3f} ({verdict})")
    if badge is not None:
        lines.append(badge_tooltip(badge))
    return "<br>".join(lines)


def badge_tooltip(badge: Badge) -> str:
    if badge.expanded:
        return (f"Photo {badge.place} of {badge.count} of the same picture; click the badge "
                "to show the picture once.")  # fmt: skip
    return (f"{badge.count} photos of the same picture (copies, other sizes or formats); "
            "click the badge to show them all. Opening, copying, trashing or dragging this "
            "cell acts on this photo only.")  # fmt: skip


def _newest_first(hit: SearchHit) -> tuple:
    # photos with no date go last, best match first among equals
    return (hit.taken_at is None, -(hit.taken_at or 0.0), -hit.score)


def _oldest_first(hit: SearchHit) -> tuple:
    return (hit.taken_at is None, hit.taken_at or 0.0, -hit.score)


class ResultsModel(QAbstractListModel):
    summary_changed = Signal()  # the rows or their counts changed

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._all: list[SearchHit] = []
        self._rows: list[Row] = []
        self._rows_by_path: dict[Path, list[int]] = {}
        self._sort = "relevance"
        self._matches = 0
        self._scored = True
        self._spread = (0.0, 0.0)
        self._best = 0.0
        self._closest = False  # show the other photos when nothing matches
        self._pictures = PictureGroups()
        self._match_copies = 0  # matches that are copies of a picture counted once

    # -- what is shown --------------------------------------------------------------------

    def _arrange(self, hits: list[SearchHit], pictures: PictureGroups | None = None) -> list[Row]:
        pictures = pictures or self._pictures
        shown = [h for h in hits if not pictures.is_copy(h.photo_id)]
        matches = [h for h in shown if h.match]
        rest = [h for h in shown if not h.match]
        if self._sort == "date":
            matches.sort(key=_newest_first)
        elif self._sort == "oldest":
            matches.sort(key=_oldest_first)
        if not rest or (not matches and not self._closest):
            rows: list[Row] = list(matches)
        else:
            rows = [*matches, DIVIDER, *rest]
        if not pictures.expanded:
            return rows
        by_id = {h.photo_id: h for h in hits}
        out: list[Row] = []
        for row in rows:
            out.append(row)
            if isinstance(row, SearchHit) and pictures.is_expanded(row.photo_id):
                out += [by_id[i] for i in pictures.members(row.photo_id)[1:]]
        return out

    def keeps_rows(self, hits: list[SearchHit], groups: Groups = ()) -> bool:
        """True when showing ``hits`` leaves every row shown where it is (the same rows, or
        more after them): :meth:`set_hits` then keeps the scrolling and the selection."""
        pictures = PictureGroups(hits, groups, self._pictures.expanded)
        new = self._arrange(list(hits), pictures)
        return new[: len(self._rows)] == self._rows

    def set_hits(
        self,
        hits: list[SearchHit],
        *,
        matches: int | None = None,
        scored: bool = True,
        spread: tuple[float, float] = (0.0, 0.0),
        new_query: bool = False,
        groups: Groups = (),
    ) -> None:
        """Show ``hits`` (each says whether it is a match). ``matches``: how many photos
        match in all (a search can find more than it returns; default: those in ``hits``);
        ``scored``: False when filters alone listed them; ``spread``: the library's mean and
        standard deviation of scores for the query, for the relevance bars; ``new_query``:
        another query than the one shown (the closest photos are hidden again, and every
        group collapsed); ``groups``: photo ids of hits that show one picture.

        When the rows only add to the end of what is shown (the rest of a search whose first
        page is on screen), they are appended: scrolling and selection stay."""
        hits = list(hits)
        if new_query:
            self._closest = False
            self._pictures = PictureGroups()
        kept = not new_query and self._scored == scored and self.keeps_rows(hits, groups)
        bars_moved = spread != self._spread and bool(self._rows)
        bars_moved |= groups != self._pictures.given  # a badge's count may have changed
        self._all = hits
        self._pictures = PictureGroups(hits, groups, self._pictures.expanded)
        self._match_copies = sum(h.match and self._pictures.is_copy(h.photo_id) for h in hits)
        self._matches = sum(h.match for h in hits) if matches is None else matches
        self._scored, self._spread = scored, spread
        self._best = max((h.score for h in hits), default=0.0)
        new = self._arrange(hits)
        if kept and self._rows:
            if len(new) > len(self._rows):
                start = len(self._rows)
                self.beginInsertRows(QModelIndex(), start, len(new) - 1)
                self._set_rows(new)
                self.endInsertRows()
            if bars_moved:  # the library grew a little: the same rows, bars and badges redrawn
                self.dataChanged.emit(self.index(0), self.index(len(self._rows) - 1))
            self.summary_changed.emit()
            return
        self._reset(new)

    def set_sort(self, mode: str) -> None:
        if mode != self._sort and mode in SORTS:
            self._sort = mode
            self._reset(self._arrange(self._all))

    def show_closest(self) -> None:
        """Show the closest photos below the divider although none of them matches."""
        if not self._closest:
            self._closest = True
            self._reset(self._arrange(self._all))

    @property
    def sort(self) -> str:
        return self._sort

    @property
    def total(self) -> int:
        """Photos the search returned, matches or not."""
        return len(self._all)

    @property
    def matches(self) -> int:
        """Pictures that match: photos of one picture count once."""
        return max(0, self._matches - self._match_copies)

    @property
    def match_copies(self) -> int:
        """Matching photos left out of :attr:`matches` as copies of a picture counted."""
        return self._match_copies

    def shown_pictures(self) -> tuple[int, int]:
        """Pictures shown: (matches, others below the divider), a group's copies uncounted."""
        pictures = [h for h in self.hits() if not self._pictures.is_copy(h.photo_id)]
        matching = sum(h.match for h in pictures)
        return matching, len(pictures) - matching

    def every_hit(self) -> list[SearchHit]:
        """Every photo the search returned, the copies hidden in a group's cell too."""
        return list(self._all)

    # -- groups of one picture ------------------------------------------------------------

    def badge(self, row: int) -> Badge | None:
        hit = self.hit(row)
        return None if hit is None else self._pictures.badge(hit.photo_id)

    def toggle_group(self, row: int) -> None:
        """Expand the group of the photo in ``row`` in place (its copies after its first
        photo), or collapse it; the rows around stay, and so does the selection."""
        hit = self.hit(row)
        if hit is None or not self._pictures.members(hit.photo_id):
            return
        members = self._pictures.members(hit.photo_id)
        expanded = self._pictures.toggle(hit.photo_id)
        first = next(n for n, r in enumerate(self._rows)
                     if isinstance(r, SearchHit) and r.photo_id == members[0])  # fmt: skip
        new = self._arrange(self._all)
        if expanded:
            self.beginInsertRows(QModelIndex(), first + 1, first + len(members) - 1)
            self._set_rows(new)
            self.endInsertRows()
        else:
            self.beginRemoveRows(QModelIndex(), first + 1, first + len(members) - 1)
            self._set_rows(new)
            self.endRemoveRows()
        self.dataChanged.emit(self.index(first), self.index(first))
        self.summary_changed.emit()

    def forget(self, photo_ids: list[int]) -> None:
        """Photos that left the library (trashed) leave the results, hidden copies too."""
        gone = set(photo_ids)
        if not any(h.photo_id in gone for h in self._all):
            return
        lost_matches = sum(h.match for h in self._all if h.photo_id in gone)
        self.set_hits([h for h in self._all if h.photo_id not in gone],
                      matches=max(0, self._matches - lost_matches), scored=self._scored,
                      spread=self._spread, groups=self._pictures.given)  # fmt: skip

    @property
    def scored(self) -> bool:
        return self._scored

    @property
    def has_closest(self) -> bool:
        """Whether there are photos that do not match, to show below the divider."""
        return any(not h.match and not self._pictures.is_copy(h.photo_id) for h in self._all)

    @property
    def divider_row(self) -> int | None:
        try:
            return self._rows.index(DIVIDER)
        except ValueError:
            return None

    def hits(self) -> list[SearchHit]:
        """The photos shown, in their order (the divider left out)."""
        return [r for r in self._rows if isinstance(r, SearchHit)]

    def hit(self, row: int) -> SearchHit | None:
        """The photo in ``row``; None for the divider."""
        found = self._rows[row]
        return found if isinstance(found, SearchHit) else None

    def rows_of(self, path: Path) -> list[int]:
        return self._rows_by_path.get(path, [])

    def _reset(self, rows: list[Row]) -> None:
        self.beginResetModel()
        self._set_rows(rows)
        self.endResetModel()
        self.summary_changed.emit()

    def _set_rows(self, rows: list[Row]) -> None:
        self._rows = rows
        self._rows_by_path = {}
        for row, h in enumerate(rows):
            if isinstance(h, SearchHit):
                self._rows_by_path.setdefault(h.path, []).append(row)

    def thumbnail_arrived(self, path: Path) -> None:
        for row in self.rows_of(path):
            index = self.index(row)
            self.dataChanged.emit(index, index, [Qt.ItemDataRole.DecorationRole])

    # -- QAbstractListModel ---------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        hit = self._rows[index.row()]
        if not isinstance(hit, SearchHit):
            if role in (DIVIDER_ROLE, Qt.ItemDataRole.AccessibleTextRole):
                return DIVIDER_TEXT
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return hit.path.name
        if role == Qt.ItemDataRole.ToolTipRole:
            return tooltip(hit, self._scored, self._pictures.badge(hit.photo_id))
        if role == BADGE_ROLE:
            return self._pictures.badge(hit.photo_id)
        if role == HIT_ROLE:
            return hit
        if role == SCORE_ROLE:
            return hit.score if self._scored else None
        if role == RELEVANCE_ROLE:
            return relevance(hit.score, self._spread, self._best) if self._scored else None
        if role == Qt.ItemDataRole.AccessibleTextRole:
            badge = self._pictures.badge(hit.photo_id)
            copies = "" if badge is None else f", {badge.count} photos of one picture"
            if not self._scored:
                return hit.path.name + copies
            verdict = "a good match" if hit.match else "less likely"
            return f"{hit.path.name}, {verdict}, score {hit.score:.2f}{copies}"
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if index.isValid() and self.hit(index.row()) is None:
            return Qt.ItemFlag.NoItemFlags  # the divider: not selectable, not a drag
        base = super().flags(index)
        if index.isValid():
            return base | Qt.ItemFlag.ItemIsDragEnabled
        return base

    def supportedDragActions(self) -> Qt.DropAction:
        return Qt.DropAction.CopyAction

    def mimeTypes(self) -> list[str]:
        return ["text/uri-list", "text/plain"]

    def mimeData(self, indexes) -> QMimeData:
        rows = sorted({i.row() for i in indexes})
        paths = [h.path for r in rows if (h := self.hit(r)) is not None]
        mime = QMimeData()
        mime.setUrls([QUrl.fromLocalFile(os.fspath(p)) for p in paths])
        mime.setText("\n".join(os.fspath(p) for p in paths))
        return mime
