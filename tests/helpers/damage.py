"""A damaged catalog, for tests: real b-tree pages overwritten with noise, the way a failing
disk or a crash of the machine damages a file."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest


def damage_leaves(catalog: Path, table: str, count: int = 1) -> None:
    """Overwrite ``count`` b-tree leaf pages of ``table`` in the middle of the file."""
    db = sqlite3.connect(catalog)
    try:
        page_size = db.execute("PRAGMA page_size").fetchone()[0]
        pages = [r[0] for r in db.execute(
            "SELECT pageno FROM dbstat WHERE name = ? AND pagetype = 'leaf' ORDER BY pageno",
            (table,),
        )]  # fmt: skip
    except sqlite3.OperationalError:
        pytest.skip("this SQLite has no dbstat table to find a table's pages with")
    finally:
        db.close()
    assert len(pages) >= count, f"{table} has only {len(pages)} leaf pages"
    middle = min(len(pages) // 2, len(pages) - count)
    with open(catalog, "r+b") as f:
        for page in pages[middle : middle + count]:
            f.seek((page - 1) * page_size)
            f.write(np.random.default_rng(page).bytes(page_size))
