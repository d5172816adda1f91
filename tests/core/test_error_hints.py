"""Core errors speak of the problem; a remedy that only the command line has (an option to
pass) is the error's ``hint``, which the CLI prints after the sentence and the window
replaces with its own (a button, a folder chooser)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from photofind.core.catalog import Catalog
from photofind.core.clip import find_model
from photofind.core.errors import CatalogError, ModelError, PhotofindError

FLAG = re.compile(r"(?<![\w-])--[a-z]")


def raised(call) -> PhotofindError:
    with pytest.raises(PhotofindError) as err:
        call()
    return err.value


@pytest.mark.parametrize(
    "make",
    [
        lambda tmp: Catalog(_a_file(tmp) / "catalog.sqlite3"),
        lambda tmp: find_model("no-such-model", tmp / "models"),
    ],
    ids=["data folder is a file", "unknown model"],
)
def test_messages_name_no_option_and_the_hint_does(tmp_path: Path, make):
    error = raised(lambda: make(tmp_path))
    assert isinstance(error, CatalogError | ModelError)
    assert not FLAG.search(str(error)), str(error)
    assert error.hint and FLAG.search(error.hint)


def _a_file(tmp: Path) -> Path:
    path = tmp / "data"
    path.write_text("not a folder")
    return path


def test_an_error_without_a_hint_is_just_its_sentence():
    error = PhotofindError("Something happened; do this.")
    assert error.hint is None and str(error) == "Something happened; do this."
