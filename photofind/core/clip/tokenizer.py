"""Text tokenisers whose token ids equal the ones open_clip gave the text tower in training.

The text encoders we run were trained with open_clip's tokenisers, so a query must become
exactly the ids open_clip would produce; any difference (one extra token, another split of
a word) silently changes the embedding and worsens search. A zoo bundle's tokenizer.json is
one of two kinds, told apart by :func:`load_tokenizer`:

* **CLIP byte-level BPE** (a BPE model whose words end in ``</w>``): the OpenAI CLIP and
  LAION towers. :class:`ClipTokenizer` reproduces open_clip's ``SimpleTokenizer``.
* **Anything else** (SentencePiece Unigram for SigLIP, XLM-RoBERTa and NLLB; Gemma's BPE
  for SigLIP 2; WordPiece): open_clip wraps the Hugging Face tokenizer
  (``HFTokenizer``), and :class:`HfTokenizer` does what that wrapper does with the file's
  own normalizer, pre-tokeniser and post-processor.

ClipTokenizer follows open_clip's default (``clean="lower"``) pipeline, in the same order:

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

HfTokenizer follows open_clip's ``HFTokenizer``:

1. Cleaning, in Python, as chosen by the model config's ``text_cfg.tokenizer_kwargs.clean``:
   ``"whitespace"`` (open_clip's default for these tokenisers: ftfy, HTML unescape twice,
   whitespace runs collapsed, case kept), ``"canonicalize"`` (SigLIP: the same, then ``_``
   to space, ASCII punctuation removed, lower case, whitespace collapsed again) or
   ``"lower"``.
2. The tokenizers library with the file's normalizer, pre-tokeniser and post-processor
   (``<s> … </s>`` for XLM-R, ``… </s>`` for SigLIP), truncated to the context length
   counting the special tokens, as ``truncation=True, max_length=context_length`` does.
3. Padding to the context length with the configured pad token (``<pad>``, or ``</s>`` for
   SigLIP), never with a token of the text.
4. For NLLB tokenisers (FLORES-200 language tokens such as ``eng_Latn`` among the added
   special tokens, or anywhere in the vocabulary when the config names NLLB), the query's
   language token goes first, as open_clip's ``set_language`` arranges it: a language
   token that the post-processor puts in (NLLB's template is ``eng_Latn $A </s>``) is
   replaced by the query's; without one, the query's is put before the ids. Immich instead
   prepends the code to the text, which with NLLB's template gives
   ``eng_Latn zho_Hans …``, two language tokens.
"""

from __future__ import annotations

import html
import json
import string
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from photofind.core.clip.language import is_flores_code
from photofind.core.errors import ModelError

if TYPE_CHECKING:
    from tokenizers import Tokenizer

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

    def __init__(
        self,
        tokenizer_json: Path,
        *,
        context_length: int,
        pad_token: str | None = None,
        parsed: Tokenizer | None = None,
    ):
        """``parsed``: tokenizer_json already read by :func:`read_tokenizer_file` (changed here)."""
        import ftfy
        import regex
        from tokenizers import models, pre_tokenizers

        if context_length < 2:
            raise ValueError(f"context_length must be at least 2, got {context_length}")
        path = Path(tokenizer_json)
        tok = parsed if parsed is not None else read_tokenizer_file(path)
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


CLEAN_MODES = ("whitespace", "canonicalize", "lower")
_NO_PUNCTUATION = str.maketrans("", "", string.punctuation)


class HfTokenizer:
    """Turns texts into fixed-length id rows with a non-CLIP tokenizer.json, as open_clip's
    ``HFTokenizer`` does (SigLIP, XLM-RoBERTa, NLLB, ...): see the module docstring."""

    def __init__(
        self,
        tokenizer_json: Path,
        *,
        context_length: int,
        pad_token: str | None = None,
        clean: str = "whitespace",
        nllb: bool = False,
        parsed: Tokenizer | None = None,
    ):
        """``nllb``: the model config names NLLB, so FLORES-200 language tokens are looked
        for in the whole vocabulary, not only among the added special tokens.
        ``parsed``: tokenizer_json already read by :func:`read_tokenizer_file` (changed here)."""
        import ftfy

        if context_length < 2:
            raise ValueError(f"context_length must be at least 2, got {context_length}")
        if clean not in CLEAN_MODES:
            raise ValueError(f"clean must be one of {', '.join(CLEAN_MODES)}, not {clean!r}")
        path = Path(tokenizer_json)
        tok = parsed if parsed is not None else read_tokenizer_file(path)
        if pad_token is None:
            pad_token = (tok.padding or {}).get("pad_token") or "<pad>"
        pad_id = tok.token_to_id(pad_token)
        if pad_id is None:
            raise ModelError(
                f"The pad token {pad_token!r} is not in the vocabulary of the tokenizer file "
                f'{path}; set "pad_token" in the tokenizer_config.json next to it.'
            )
        self.pad_id = int(pad_id)
        # NLLB marks the language with FLORES-200 tokens, added to the vocabulary as specials.
        self.language_ids: dict[str, int] = {
            added.content: int(token_id)
            for token_id, added in tok.get_added_tokens_decoder().items()
            if is_flores_code(added.content)
        }
        if nllb and not self.language_ids:
            self.language_ids = {
                token: int(token_id)
                for token, token_id in tok.get_vocab(with_added_tokens=True).items()
                if is_flores_code(token)
            }
        self._language_id_set = frozenset(self.language_ids.values())

        tok.no_padding()
        tok.no_truncation()
        empty = tok.encode("")
        template = [
            i for i, special in zip(empty.ids, empty.special_tokens_mask, strict=True) if special
        ]
        self._template_has_language = any(i in self._language_id_set for i in template)
        # Room for a language token that is put before the ids rather than swapped in.
        reserve = 1 if self.language_ids and not self._template_has_language else 0
        if context_length - reserve < len(template) + 1:
            raise ValueError(
                f"context_length {context_length} leaves no room for text next to the "
                f"{len(template)} special tokens of {path}"
            )
        tok.enable_truncation(max_length=context_length - reserve)

        self._tok = tok
        self._fix_text = ftfy.fix_text
        self._clean = clean
        self.context_length = context_length
        self.path = path

    @property
    def has_languages(self) -> bool:
        """Whether the vocabulary has FLORES-200 language tokens (an NLLB tokenizer)."""
        return bool(self.language_ids)

    def clean(self, text: str) -> str:
        """open_clip's ``basic_clean`` then its ``whitespace``, ``canonicalize`` or ``lower``."""
        text = html.unescape(html.unescape(self._fix_text(text))).strip()
        if self._clean == "canonicalize":
            text = text.replace("_", " ").translate(_NO_PUNCTUATION).lower()
        text = " ".join(text.split()).strip()
        return text.lower() if self._clean == "lower" else text

    def language_id(self, code: str) -> int:
        try:
            return self.language_ids[code]
        except KeyError:
            raise ModelError(
                f"The tokenizer file {self.path} has no token for the language {code!r}."
            ) from None

    def encode(
        self, texts: Sequence[str], languages: Sequence[str] | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Returns (ids int64 (n, context_length), lengths int64 (n,)).

        A length counts the real tokens, special tokens included; the rest of the row is the
        pad id. ``languages``: one FLORES-200 code per text, for NLLB tokenizers.
        """
        if isinstance(texts, str):
            raise TypeError("encode takes a sequence of texts, not a single str")
        n = len(texts)
        ids = np.full((n, self.context_length), self.pad_id, dtype=np.int64)
        lengths = np.zeros(n, dtype=np.int64)
        if n == 0:
            return ids, lengths
        if languages is not None and len(languages) != n:
            raise ValueError(f"{len(languages)} languages given for {n} texts")
        encodings = self._tok.encode_batch([self.clean(t) for t in texts])
        for row, encoding in enumerate(encodings):
            tokens = encoding.ids
            if languages is not None:
                code_id = self.language_id(languages[row])
                if self._template_has_language:
                    tokens = [
                        code_id if special and t in self._language_id_set else t
                        for t, special in zip(tokens, encoding.special_tokens_mask, strict=True)
                    ]
                else:
                    tokens = [code_id, *tokens]
            ids[row, : len(tokens)] = tokens
            lengths[row] = len(tokens)
        return ids, lengths


def is_clip_bpe(tok: Tokenizer) -> bool:
    """CLIP's byte-level BPE: every word ends in ``</w>`` (other BPEs, e.g. Gemma's, do not)."""
    from tokenizers import models

    return isinstance(tok.model, models.BPE) and tok.model.end_of_word_suffix == "</w>"


def load_tokenizer(
    tokenizer_json: Path,
    tokenizer_config_json: Path | None,
    context_length: int,
    *,
    clean: str = "whitespace",
    nllb: bool = False,
) -> ClipTokenizer | HfTokenizer:
    """The tokenizer for a bundle's tokenizer.json: :class:`ClipTokenizer` for CLIP BPE,
    :class:`HfTokenizer` (with ``clean`` and ``nllb``) for anything else; pad token from the
    config."""
    pad_token = None
    if tokenizer_config_json is not None:
        pad_token = _read_pad_token(Path(tokenizer_config_json))
    path = Path(tokenizer_json)
    tok = read_tokenizer_file(path)
    if is_clip_bpe(tok):
        return ClipTokenizer(path, context_length=context_length, pad_token=pad_token, parsed=tok)
    return HfTokenizer(
        path,
        context_length=context_length,
        pad_token=pad_token,
        clean=clean,
        nllb=nllb,
        parsed=tok,
    )


def read_tokenizer_file(path: Path) -> Tokenizer:
    """Parses a tokenizer.json; ModelError naming the file if it cannot be used."""
    from tokenizers import Tokenizer

    text = _read_text(path, "tokenizer file")
    try:
        json.loads(text)
    except ValueError as exc:
        raise ModelError(f"The tokenizer file {path} is not valid JSON ({exc}).") from None
    try:
        return Tokenizer.from_str(text)
    except Exception as exc:
        raise ModelError(
            f"The tokenizer file {path} is not a valid tokenizer.json ({exc})."
        ) from None


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
