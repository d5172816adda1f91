"""What defines each collection: the built-in set (``builtin_collections.json``) and the
user's own, with their corrections, kept in the catalog's ``collections`` tables.

A built-in collection is read from the shipped file, with the user's changes to it (their
descriptions, sensitive, on or off) from its catalog row, so a newer photofind can improve
the shipped descriptions of every collection the user did not edit. A user collection is a
catalog row only. Corrections (a photo added or taken out by hand) and example photos name
the photo by its content hash. Names are unique whatever their letter case.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from photofind.core.catalog import Catalog
from photofind.core.errors import ModelError, PhotofindError

BUILTIN_FILE = "builtin_collections.json"
INCLUDE, EXCLUDE, EXAMPLE = "include", "exclude", "example"
MAX_NAME_CHARS = 80  # a sidebar row and a collection:NAME operator stay readable
MAX_DESCRIPTIONS = 32


@dataclass(frozen=True)
class PhotoRef:
    """A photo as a correction names it: its content, and the catalog row that held it."""

    content_hash: bytes
    photo_id: int


class CollectionError(PhotofindError):
    """A collection cannot be made, found or changed as asked."""


@dataclass(frozen=True)
class Collection:
    name: str
    title: str  # what the window shows: the built-in's title, else the name
    descriptions: tuple[str, ...]
    builtin: bool
    sensitive: bool
    enabled: bool
    label: str | None = None  # built-ins: the zero-shot label for a photo's top labels
    includes: frozenset[bytes] = field(default=frozenset())  # content hashes added by hand
    excludes: frozenset[bytes] = field(default=frozenset())  # taken out by hand
    examples: frozenset[bytes] = field(default=frozenset())  # photos it should look like

    @property
    def corrections(self) -> int:
        return len(self.includes) + len(self.excludes)


@dataclass(frozen=True)
class BuiltinCollection:
    name: str
    title: str
    label: str
    descriptions: tuple[str, ...]
    sensitive: bool
    enabled: bool


def _builtin(item: dict[str, Any]) -> BuiltinCollection:
    descriptions = tuple(str(d) for d in item["describe"])
    if not descriptions:
        raise ValueError(f"the built-in collection {item['name']!r} has no descriptions")
    return BuiltinCollection(
        name=str(item["name"]),
        title=str(item.get("title") or item["name"]),
        label=str(item["label"]),
        descriptions=descriptions,
        sensitive=bool(item.get("sensitive", False)),
        enabled=bool(item.get("enabled", True)),
    )


@cache
def builtin_collections() -> tuple[BuiltinCollection, ...]:
    path = Path(str(resources.files("photofind.core").joinpath(BUILTIN_FILE)))
    try:
        found = tuple(
            _builtin(item) for item in json.loads(path.read_text(encoding="utf-8"))["collections"]
        )
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ModelError(
            f"The built-in collections {path} cannot be read ({exc}); reinstall photofind."
        ) from exc
    return found


def builtin_labels() -> list[str]:
    """The labels of the built-in collections that are not sensitive: a photo's top labels,
    and ``photofind classify`` without ``--labels``."""
    return [b.label for b in builtin_collections() if not b.sensitive]


def clean_name(name: str) -> str:
    """The name as stored; raises CollectionError for one that cannot be a name."""
    cleaned = " ".join(name.split())
    if not cleaned:
        raise CollectionError("A collection needs a name; give one, e.g. 'my red car'.")
    if len(cleaned) > MAX_NAME_CHARS:
        raise CollectionError(
            f"The collection name is {len(cleaned)} characters long; keep it to {MAX_NAME_CHARS}."
        )
    if not cleaned.isprintable():
        raise CollectionError("A collection name cannot hold control characters.")
    return cleaned


def clean_descriptions(descriptions: Iterable[str]) -> tuple[str, ...]:
    found = tuple(dict.fromkeys(d for d in (" ".join(t.split()) for t in descriptions) if d))
    if len(found) > MAX_DESCRIPTIONS:
        raise CollectionError(
            f"A collection takes at most {MAX_DESCRIPTIONS} descriptions; {len(found)} were given."
        )
    return found


def _flag(value: int | None, default: bool) -> bool:
    return default if value is None else bool(value)


class CollectionStore:
    """Reads and writes collection definitions in one catalog (each change one transaction)."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    def _rows(self) -> dict[str, tuple]:
        rows = self.catalog.select(
            "SELECT id, name, builtin, descriptions, sensitive, enabled FROM collections "
            "ORDER BY id"
        )
        return {r[1].casefold(): r for r in rows}

    def _photos(self) -> dict[int, dict[str, set[bytes]]]:
        out: dict[int, dict[str, set[bytes]]] = {}
        for cid, content_hash, role in self.catalog.select(
            "SELECT collection_id, content_hash, role FROM collection_photos"
        ):
            out.setdefault(cid, {}).setdefault(role, set()).add(bytes(content_hash))
        return out

    def all(self) -> list[Collection]:
        """Every collection, the built-ins first in their shipped order, then the user's in
        the order they were made; switched-off ones included (see ``enabled``)."""
        rows = self._rows()
        photos = self._photos()
        out = []
        for b in builtin_collections():
            row = rows.pop(b.name.casefold(), None)
            stored = json.loads(row[3]) if row is not None and row[3] else None
            roles = photos.get(row[0], {}) if row is not None else {}
            out.append(
                Collection(
                    b.name,
                    b.title,
                    tuple(stored) if stored else b.descriptions,
                    True,
                    _flag(row[4] if row else None, b.sensitive),
                    _flag(row[5] if row else None, b.enabled),
                    b.label,
                    frozenset(roles.get(INCLUDE, ())),
                    frozenset(roles.get(EXCLUDE, ())),
                    frozenset(roles.get(EXAMPLE, ())),
                )  # fmt: skip
            )
        for row in rows.values():
            if row[2]:
                continue  # a built-in that a later photofind no longer ships
            roles = photos.get(row[0], {})
            out.append(
                Collection(
                    row[1],
                    row[1],
                    tuple(json.loads(row[3] or "[]")),
                    False,
                    bool(row[4]),
                    _flag(row[5], True),
                    None,
                    frozenset(roles.get(INCLUDE, ())),
                    frozenset(roles.get(EXCLUDE, ())),
                    frozenset(roles.get(EXAMPLE, ())),
                )  # fmt: skip
            )
        return out

    def get(self, name: str) -> Collection:
        wanted = " ".join(name.split()).casefold()
        for collection in self.all():
            if collection.name.casefold() == wanted:
                return collection
        raise CollectionError(
            f"There is no collection named '{' '.join(name.split())}'; "
            "'photofind collection list' shows them."
        )

    def add(
        self,
        name: str,
        descriptions: Iterable[str],
        *,
        sensitive: bool = False,
        examples: Iterable[PhotoRef] = (),
    ) -> None:
        name = clean_name(name)
        texts = clean_descriptions(descriptions)
        examples = list(examples)
        if not texts and not examples:
            raise CollectionError(
                f"Say what '{name}' holds: describe it (--describe \"a red car\") or give an "
                "example photo."
            )
        if any(b.name.casefold() == name.casefold() for b in builtin_collections()) or any(
            key == name.casefold() for key in self._rows()
        ):
            raise CollectionError(
                f"A collection named '{name}' exists already; choose another name, or change "
                "that one with 'photofind collection edit'."
            )
        with self.catalog.transaction() as db:
            cur = db.execute(
                "INSERT INTO collections (name, builtin, descriptions, sensitive, enabled, "
                "created_at) VALUES (?, 0, ?, ?, 1, ?)",
                (name, json.dumps(list(texts)), int(sensitive), time.time()),
            )
            self._set_roles(db, int(cur.lastrowid or 0), examples, EXAMPLE)

    def _row_id(self, db: sqlite3.Connection, collection: Collection) -> int:
        """The catalog row of ``collection``; a built-in's row is made on its first change."""
        found = db.execute(
            "SELECT id FROM collections WHERE name = ?", (collection.name,)
        ).fetchone()
        if found:
            return found[0]
        cur = db.execute(
            "INSERT INTO collections (name, builtin, created_at) VALUES (?, 1, ?)",
            (collection.name, time.time()),
        )
        return int(cur.lastrowid or 0)

    def edit(
        self,
        name: str,
        *,
        descriptions: Iterable[str] | None = None,
        sensitive: bool | None = None,
        enabled: bool | None = None,
    ) -> Collection:
        collection = self.get(name)
        texts = None if descriptions is None else clean_descriptions(descriptions)
        if texts is not None and not texts and not collection.examples:
            raise CollectionError(
                f"'{collection.name}' needs at least one description; give one with --describe."
            )
        with self.catalog.transaction() as db:
            row_id = self._row_id(db, collection)
            if texts is not None:
                db.execute(
                    "UPDATE collections SET descriptions = ? WHERE id = ?",
                    (json.dumps(list(texts)), row_id),
                )
            for column, value in (("sensitive", sensitive), ("enabled", enabled)):
                if value is not None:
                    db.execute(
                        f"UPDATE collections SET {column} = ? WHERE id = ?", (int(value), row_id)
                    )
        return self.get(collection.name)

    def remove(self, name: str) -> Collection:
        """A user collection goes with its corrections; a built-in one is only switched off
        (its corrections kept), since it cannot be deleted from the shipped set."""
        collection = self.get(name)
        if collection.builtin:
            return self.edit(collection.name, enabled=False)
        with self.catalog.transaction() as db:
            db.execute("DELETE FROM collections WHERE name = ?", (collection.name,))
        return collection

    def correct(self, name: str, photos: Iterable[PhotoRef], role: str | None) -> None:
        """``role`` INCLUDE or EXCLUDE for these photos; None forgets the correction, so the
        model decides again."""
        collection = self.get(name)
        refs = list(photos)
        with self.catalog.transaction() as db:
            row_id = self._row_id(db, collection)
            if role is None:
                db.executemany(
                    "DELETE FROM collection_photos WHERE collection_id = ? AND role != 'example' "
                    "AND (content_hash = ? OR photo_id = ?)",
                    [(row_id, ref.content_hash, ref.photo_id) for ref in refs],
                )
            else:
                self._set_roles(db, row_id, refs, role)

    @staticmethod
    def _set_roles(
        db: sqlite3.Connection, row_id: int, refs: Iterable[PhotoRef], role: str
    ) -> None:
        for ref in refs:
            # One correction per photo: the newest, whether it names its row or its content.
            db.execute(
                "DELETE FROM collection_photos WHERE collection_id = ? AND photo_id = ?",
                (row_id, ref.photo_id),
            )
            db.execute(
                "INSERT OR REPLACE INTO collection_photos (collection_id, content_hash, "
                "photo_id, role) VALUES (?, ?, ?, ?)",
                (row_id, ref.content_hash, ref.photo_id, role),
            )

    def follow_photos(self) -> None:
        """After an index run, each correction follows its photo: a row that is still there
        with new content (the file was edited) lends it its new content hash, and content
        that is now in another row (the folder was removed and added again) lends it that
        row. A correction whose photo left the library altogether stays for its return."""
        with self.catalog.transaction() as db:
            db.execute(
                "UPDATE OR REPLACE collection_photos SET content_hash = (SELECT p.content_hash "
                "FROM photos p WHERE p.id = collection_photos.photo_id) WHERE EXISTS (SELECT 1 "
                "FROM photos p WHERE p.id = collection_photos.photo_id AND p.content_hash IS "
                "NOT NULL AND p.content_hash != collection_photos.content_hash)"
            )
            db.execute(
                "UPDATE collection_photos SET photo_id = (SELECT MIN(p.id) FROM photos p WHERE "
                "p.content_hash = collection_photos.content_hash) WHERE NOT EXISTS (SELECT 1 "
                "FROM photos p WHERE p.id = collection_photos.photo_id) AND EXISTS (SELECT 1 "
                "FROM photos p WHERE p.content_hash = collection_photos.content_hash)"
            )
