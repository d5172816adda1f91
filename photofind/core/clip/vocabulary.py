"""Which words a model can read: a bundle whose token table keeps rows for only some tokens
(tiny-shapes maps every other token onto one shared row) lists the ones it keeps in
``textual/known_tokens.json``; any other model reads every token its tokenizer makes.

Used to warn about a query (:mod:`photofind.core.understanding`) and to leave out of a smart
collection the descriptions its model cannot read, which would otherwise match photos at
random (:mod:`photofind.core.collections`).
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

import numpy as np

from photofind.core.clip.bundle import ModelBundle
from photofind.core.clip.encoder import ClipEncoder

KNOWN_TOKENS_FILE = "known_tokens.json"


@cache
def _known_tokens(textual_folder: Path) -> frozenset[int] | None:
    try:
        data = json.loads((textual_folder / KNOWN_TOKENS_FILE).read_text(encoding="utf-8"))
        return frozenset(int(i) for i in data["token_ids"])
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError):
        return None  # a damaged list only loses this warning, never a search


def known_tokens(bundle: ModelBundle) -> frozenset[int] | None:
    """The token ids a partial-vocabulary bundle has rows for; None: it has them all."""
    return _known_tokens(bundle.tokenizer_json.parent)


def unknown_words(encoder: ClipEncoder, text: str) -> tuple[str, ...]:
    """The words of ``text`` that use a token the model has no row for."""
    known = known_tokens(encoder.bundle)
    if known is None:
        return ()
    # Punctuation is no word: "circle!" is understood when "circle" is.
    words = list(dict.fromkeys(re.findall(r"\w+", text)))
    if not words:
        return ()
    ids, lengths = encoder.tokenize(words)
    unknown = []
    for word, row, length in zip(words, ids, lengths, strict=True):
        if any(int(i) not in known for i in np.asarray(row)[: int(length)]):
            unknown.append(word)
    return tuple(unknown)
