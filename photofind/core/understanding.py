"""Whether the search model can read a query at all, said once instead of ranking noise.

Two ways a model cannot: the query is in a script none of its languages is written in (a
Chinese query on an English-only model comes out as the ranking of gibberish), or its words
are outside the part of the vocabulary the text tower was trained on. A bundle whose token
table keeps rows for only some tokens (tiny-shapes maps every other token onto one shared
row) lists the ones it keeps in ``textual/known_tokens.json``; any other model reads every
token its tokenizer makes.

The languages of a model come from the registry (the built-in tiny-shapes is English).
A notice speaks of the problem; the front end adds its own remedy (a command, a button).
"""

from __future__ import annotations

from dataclasses import dataclass

from photofind.core.clip.encoder import ClipEncoder
from photofind.core.clip.language import DEFAULT_LANGUAGE, detect_language
from photofind.core.clip.vocabulary import unknown_words
from photofind.core.models.registry import MULTILINGUAL, load_registry

BUILTIN_LANGUAGES = {"tiny-shapes": ("en",)}
LANGUAGE, VOCABULARY = "language", "vocabulary"
LANGUAGE_NAMES = {
    "zho_Hans": "Chinese", "jpn_Jpan": "Japanese", "kor_Hang": "Korean",
    "rus_Cyrl": "Russian", "arb_Arab": "Arabic", "ell_Grek": "Greek", "heb_Hebr": "Hebrew",
    "hin_Deva": "Hindi", "tha_Thai": "Thai", "ben_Beng": "Bengali", "tam_Taml": "Tamil",
    "tel_Telu": "Telugu", "guj_Gujr": "Gujarati", "pan_Guru": "Punjabi",
    "kan_Knda": "Kannada", "mal_Mlym": "Malayalam", "sin_Sinh": "Sinhala",
    "hye_Armn": "Armenian", "kat_Geor": "Georgian", "amh_Ethi": "Amharic",
    "khm_Khmr": "Khmer", "lao_Laoo": "Lao", "mya_Mymr": "Burmese", "bod_Tibt": "Tibetan",
}  # fmt: skip
MAX_WORDS_SHOWN = 5


@dataclass(frozen=True)
class QueryNotice:
    kind: str  # LANGUAGE or VOCABULARY
    message: str
    model: str
    language: str | None = None  # LANGUAGE: the query's language, by name
    words: tuple[str, ...] = ()  # VOCABULARY: the words the model does not know
    suggested_model: str | None = None  # LANGUAGE: a model that reads the query's language


def model_languages(name: str) -> tuple[str, ...] | None:
    """The languages a model reads (codes, or ("multilingual",)); None when unknown."""
    if name in BUILTIN_LANGUAGES:
        return BUILTIN_LANGUAGES[name]
    entry = load_registry().get(name)
    return entry.languages if entry is not None else None


def query_notices(encoder: ClipEncoder, text: str) -> tuple[QueryNotice, ...]:
    """What the model answering searches cannot read in the text terms of a query."""
    if not text.strip():
        return ()
    name = encoder.bundle.name
    languages = model_languages(name)
    language = detect_language(text)
    if languages is not None and MULTILINGUAL not in languages and language != DEFAULT_LANGUAGE:
        spoken = LANGUAGE_NAMES.get(language, "this language")
        reads = "English only" if set(languages) == {"en"} else "only " + ", ".join(languages)
        suggested = load_registry().recommended_multilingual
        return (
            QueryNotice(
                LANGUAGE,
                f"{name} understands {reads}, so it cannot read this {spoken} query; "
                f"the multilingual model {suggested} understands {spoken}.",
                name, spoken, suggested_model=suggested,
            ),
        )  # fmt: skip
    unknown = unknown_words(encoder, text)
    if not unknown:
        return ()
    shown = ", ".join(f"'{w}'" for w in unknown[:MAX_WORDS_SHOWN])
    more = f" and {len(unknown) - MAX_WORDS_SHOWN} more" if len(unknown) > MAX_WORDS_SHOWN else ""
    word_s = "word" if len(unknown) == 1 else "words"
    return (
        QueryNotice(
            VOCABULARY,
            f"{name} does not know the {word_s} {shown}{more}; it learned only a small "
            "vocabulary, so results ignore what those words mean.",
            name, words=unknown,
        ),
    )  # fmt: skip
