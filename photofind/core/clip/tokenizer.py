"""CLIP text tokeniser whose token ids equal open_clip's ``SimpleTokenizer`` exactly.

The text encoders we run were trained with open_clip's tokeniser, so a query must become
exactly the ids open_clip would produce; any difference (one extra token, another split of
a word) silently changes the embedding and worsens search. The steps are therefore
open_clip's default (``clean="lower"``) pipeline, done in the same order:

1. Cleaning, in Python: ``ftfy.fix_text`` (repairs mojibake, NFC-normalises), then
   ``html.unescape`` twice (so ``&amp;amp;`` becomes ``&``), ``strip()``, every run of
   whitespace (``str.split`` rules) collapsed to one space, then ``str.lower()``.
2. Splitting into words with open_clip's regex, compiled with the ``regex`` module and
   ``IGNORECASE`` as open_clip does. This is done in Python on purpose and not with the
   ``Split`` pre-tokeniser stored in tokenizer.json: ``tokenizers`` uses Oniguruma, whose
   Unicode tables and case folding differ from ``regex``'s for thousands of code points
   (newer letters, U+0345, ...), and HF's pattern treats ``<|endoftext|>`` in a query as a
   special token where open_clip instead treats a literal ``<start_of_text>`` /
   ``<end_of_text>`` word as the start / end token.
3. Byte-level BPE of each word (``</w>`` end-of-word suffix) by the ``tokenizers`` library,
   with the file's normalizer, pre-tokeniser splitting and post-processor switched off,
   because steps 1 and 2 already did that work the open_clip way.
4. ``[start] + ids + [end]``; if longer than the context, keep the first
   ``context_length`` ids and make the last one the end token; pad with the pad id
   (open_clip pads with 0, ``"!"``; without a configured pad token, the end token).

The start, end and pad ids are looked up in the vocabulary, not hard-coded.
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from photofind.core.errors import ModelError

# open_clip's word pattern; its special tokens are spelled <start_of_text>/<end_of_text>.
_OPEN_CLIP_SOT = "<start_of_text>"
_OPEN_CLIP_EOT = "<end_of_text>"
_WORD_PATTERN = (
    _OPEN_CLIP_SOT
    + "|"
    + _OPEN_CLIP_EOT
    + r"""|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+"""
)
# Names of the start / end tokens in a tokenizer.json (HF spelling first).
_SOT_NAMES = ("<|startoftext|>", _OPEN_CLIP_SOT)
_EOT_NAMES = ("<|endoftext|>", _OPEN_CLIP_EOT)


class ClipTokenizer:
    """Turns texts into fixed-length CLIP token id rows, as open_clip does."""

    def __init__(self, tokenizer_json: Path, *, context_length: int, pad_token: str | None = None):
        import ftfy
        import regex
        from tokenizers import Tokenizer, models, pre_tokenizers

        if context_length < 2:
            raise ValueError(f"context_length must be at least 2, got {context_length}")
        path = Path(tokenizer_json)
        text = _read_text(path, "tokenizer file")
        try:
            json.loads(text)
        except ValueError as exc:
            raise ModelError(f"The tokenizer file {path} is not valid JSON ({exc}).") from None
        try:
            tok = Tokenizer.from_str(text)
        except Exception as exc:
            raise ModelError(
                f"The tokenizer file {path} is not a valid tokenizer.json ({exc})."
            ) from None
        if not isinstance(tok.model, models.BPE):
            raise ModelError(f"The tokenizer file {path} does not hold a BPE tokenizer.")

        vocab = tok.get_vocab(with_added_tokens=True)
        self.sot_id = _lookup(vocab, _SOT_NAMES, path)
        self.eot_id = _lookup(vocab, _EOT_NAMES, path)
        if pad_token is None:
            self.pad_id = self.eot_id
        elif pad_token in vocab:
            self.pad_id = vocab[pad_token]
        else:
            raise ModelError(
                f"The pad token {pad_token!r} is not in the vocabulary of the tokenizer file {path}."
            )
        # Only byte-level BPE is left to the library: cleaning and splitting happen here.
        tok.normalizer = None
        tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)
        tok.post_processor = None
        tok.no_padding()
        tok.no_truncation()
        tok.encode_special_tokens = True  # a word is never an added token

        self._tok = tok
        self._fix_text = ftfy.fix_text
        self._words = regex.compile(_WORD_PATTERN, regex.IGNORECASE).findall
        self._special_words = {_OPEN_CLIP_SOT: self.sot_id, _OPEN_CLIP_EOT: self.eot_id}
        self.context_length = context_length
        self.path = path

    @classmethod
    def from_files(
        cls, tokenizer_json: Path, tokenizer_config_json: Path | None, context_length: int
    ) -> ClipTokenizer:
        """Loads tokenizer.json, taking the pad token from tokenizer_config.json if given."""
        pad_token = None
        if tokenizer_config_json is not None:
            pad_token = _read_pad_token(Path(tokenizer_config_json))
        return cls(tokenizer_json, context_length=context_length, pad_token=pad_token)

    def clean(self, text: str) -> str:
        """open_clip's ``clean="lower"``: ftfy, HTML unescape twice, whitespace, lower case."""
        text = html.unescape(html.unescape(self._fix_text(text))).strip()
        return " ".join(text.split()).strip().lower()

    def encode(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Returns (ids int64 (n, context_length), lengths int64 (n,)).

        A length counts the real tokens, start and end tokens included.
        """
        if isinstance(texts, str):
            raise TypeError("encode takes a sequence of texts, not a single str")
        n = len(texts)
        ctx = self.context_length
        ids = np.full((n, ctx), self.pad_id, dtype=np.int64)
        lengths = np.zeros(n, dtype=np.int64)
        if n == 0:
            return ids, lengths

        # Each text becomes segments: runs of words for BPE, or one special-token id.
        runs: list[list[str]] = []
        layouts: list[list[int]] = []  # per text: run index >= 0, or -1 - special id
        special = self._special_words
        for text in texts:
            words = self._words(self.clean(text))
            if not any(w in special for w in words):
                layouts.append([len(runs)])
                runs.append(words)
                continue
            layout: list[int] = []
            start = 0
            for i, w in enumerate(words):
                if w in special:
                    if i > start:
                        layout.append(len(runs))
                        runs.append(words[start:i])
                    layout.append(-1 - special[w])
                    start = i + 1
            if start < len(words):
                layout.append(len(runs))
                runs.append(words[start:])
            layouts.append(layout)

        encodings = self._tok.encode_batch(runs, is_pretokenized=True, add_special_tokens=False)
        for row, layout in enumerate(layouts):
            tokens = [self.sot_id]
            for part in layout:
                if part >= 0:
                    tokens.extend(encodings[part].ids)
                else:
                    tokens.append(-1 - part)
            tokens.append(self.eot_id)
            if len(tokens) > ctx:
                tokens = tokens[:ctx]
                tokens[-1] = self.eot_id
            ids[row, : len(tokens)] = tokens
            lengths[row] = len(tokens)
        return ids, lengths


def _read_text(path: Path, what: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ModelError(f"The {what} {path} is missing.") from None
    except UnicodeDecodeError:
        raise ModelError(f"The {what} {path} is not UTF-8 text.") from None
    except OSError as exc:
        raise ModelError(f"The {what} {path} cannot be read ({exc.strerror or exc}).") from None


def _lookup(vocab: dict[str, int], names: Sequence[str], path: Path) -> int:
    for name in names:
        if name in vocab:
            return vocab[name]
    raise ModelError(f"The tokenizer file {path} has no {names[0]} token in its vocabulary.")


def _read_pad_token(path: Path) -> str | None:
    try:
        config: Any = json.loads(_read_text(path, "tokenizer config file"))
    except ValueError as exc:
        raise ModelError(f"The tokenizer config file {path} is not valid JSON ({exc}).") from None
    if not isinstance(config, dict):
        raise ModelError(f"The tokenizer config file {path} does not hold a JSON object.")
    pad = config.get("pad_token")
    if isinstance(pad, dict):
        pad = pad.get("content")
    if pad is None or isinstance(pad, str):
        return pad
    raise ModelError(f"The tokenizer config file {path} has a pad_token that is not a string.")
