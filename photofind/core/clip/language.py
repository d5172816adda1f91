"""The language of a search query, as the FLORES-200 code that NLLB-CLIP text towers expect.

NLLB-CLIP models (``nllb-clip-base-siglip__v1`` and its siblings in the Immich zoo) were
trained with the caption's language as a special token in front of it, e.g. ``zho_Hans``
before a Chinese caption, the way NLLB itself marks its source language. A query tokenised
without that token (or with ``eng_Latn`` in front of a Chinese query) is read as the wrong
language and ranks worse. Immich maps the user's interface locale to a FLORES code and puts
it before the text; photofind has no interface locale to go by, so it reads the language
off the query's script:

* kana (Hiragana or Katakana) anywhere -> ``jpn_Jpan`` (Japanese mixes kana with Han);
* Hangul anywhere -> ``kor_Hang``;
* otherwise the non-Latin script with the most letters: Han -> ``zho_Hans``, Cyrillic ->
  ``rus_Cyrl``, Arabic -> ``arb_Arab``, Greek -> ``ell_Grek``, Hebrew -> ``heb_Hebr``,
  Devanagari -> ``hin_Deva``, Thai -> ``tha_Thai``, ... (see ``SCRIPT_LANGUAGES``). Latin
  letters next to them are brand names and loanwords ("iPhone на столе" is Russian);
* only Latin letters, or no letters at all -> ``eng_Latn``.

A script names a language only roughly (Cyrillic is also Ukrainian, Latin is also German),
so the caller can fix the language instead: a FLORES code (``deu_Latn``) or a locale
(``de``, ``pt-BR``, ``zh-TW``), normalised by :func:`flores_code`.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Collection
from typing import Any

DEFAULT_LANGUAGE = "eng_Latn"

# FLORES-200 codes: ISO 639-3 language, underscore, ISO 15924 script ("zho_Hans").
_FLORES = re.compile(r"[a-z]{3}_[A-Z][a-z]{3}")

# Unicode script (as the ``regex`` module names it) -> the most likely language.
SCRIPT_LANGUAGES: dict[str, str] = {
    "Han": "zho_Hans",
    "Cyrillic": "rus_Cyrl",
    "Arabic": "arb_Arab",
    "Greek": "ell_Grek",
    "Hebrew": "heb_Hebr",
    "Devanagari": "hin_Deva",
    "Thai": "tha_Thai",
    "Bengali": "ben_Beng",
    "Tamil": "tam_Taml",
    "Telugu": "tel_Telu",
    "Gujarati": "guj_Gujr",
    "Gurmukhi": "pan_Guru",
    "Kannada": "kan_Knda",
    "Malayalam": "mal_Mlym",
    "Sinhala": "sin_Sinh",
    "Armenian": "hye_Armn",
    "Georgian": "kat_Geor",
    "Ethiopic": "amh_Ethi",
    "Khmer": "khm_Khmr",
    "Lao": "lao_Laoo",
    "Myanmar": "mya_Mymr",
    "Tibetan": "bod_Tibt",
}
# Scripts used by one language only: any letter of them decides, whatever else is there.
_DECIDING_SCRIPTS = (("Hiragana", "jpn_Jpan"), ("Katakana", "jpn_Jpan"), ("Hangul", "kor_Hang"))

# Locale (ISO 639-1, or with a region or script) -> FLORES-200 code, for the override.
LOCALE_LANGUAGES: dict[str, str] = {
    "af": "afr_Latn",
    "am": "amh_Ethi",
    "ar": "arb_Arab",
    "az": "azj_Latn",
    "be": "bel_Cyrl",
    "bg": "bul_Cyrl",
    "bn": "ben_Beng",
    "bo": "bod_Tibt",
    "bs": "bos_Latn",
    "ca": "cat_Latn",
    "cs": "ces_Latn",
    "cy": "cym_Latn",
    "da": "dan_Latn",
    "de": "deu_Latn",
    "el": "ell_Grek",
    "en": "eng_Latn",
    "eo": "epo_Latn",
    "es": "spa_Latn",
    "et": "est_Latn",
    "eu": "eus_Latn",
    "fa": "pes_Arab",
    "fi": "fin_Latn",
    "fr": "fra_Latn",
    "ga": "gle_Latn",
    "gl": "glg_Latn",
    "gu": "guj_Gujr",
    "he": "heb_Hebr",
    "hi": "hin_Deva",
    "hr": "hrv_Latn",
    "hu": "hun_Latn",
    "hy": "hye_Armn",
    "id": "ind_Latn",
    "is": "isl_Latn",
    "it": "ita_Latn",
    "ja": "jpn_Jpan",
    "ka": "kat_Geor",
    "kk": "kaz_Cyrl",
    "km": "khm_Khmr",
    "kn": "kan_Knda",
    "ko": "kor_Hang",
    "lb": "ltz_Latn",
    "lo": "lao_Laoo",
    "lt": "lit_Latn",
    "lv": "lvs_Latn",
    "mk": "mkd_Cyrl",
    "ml": "mal_Mlym",
    "mn": "khk_Cyrl",
    "mr": "mar_Deva",
    "ms": "zsm_Latn",
    "my": "mya_Mymr",
    "nb": "nob_Latn",
    "ne": "npi_Deva",
    "nl": "nld_Latn",
    "nn": "nno_Latn",
    "no": "nob_Latn",
    "pa": "pan_Guru",
    "pl": "pol_Latn",
    "pt": "por_Latn",
    "ro": "ron_Latn",
    "ru": "rus_Cyrl",
    "si": "sin_Sinh",
    "sk": "slk_Latn",
    "sl": "slv_Latn",
    "sq": "als_Latn",
    "sr": "srp_Cyrl",
    "sv": "swe_Latn",
    "sw": "swh_Latn",
    "ta": "tam_Taml",
    "te": "tel_Telu",
    "th": "tha_Thai",
    "tl": "tgl_Latn",
    "tr": "tur_Latn",
    "uk": "ukr_Cyrl",
    "ur": "urd_Arab",
    "uz": "uzn_Latn",
    "vi": "vie_Latn",
    "zh": "zho_Hans",
    # Chinese is written in two scripts; the region or script subtag says which.
    "zh-hans": "zho_Hans",
    "zh-cn": "zho_Hans",
    "zh-sg": "zho_Hans",
    "zh-hant": "zho_Hant",
    "zh-tw": "zho_Hant",
    "zh-hk": "zho_Hant",
    "zh-mo": "zho_Hant",
}


def is_flores_code(token: str) -> bool:
    return _FLORES.fullmatch(token) is not None


def flores_code(language: str) -> str:
    """A FLORES-200 code from a FLORES code or a locale; ValueError if it names neither.

    ``"zho_Hant"`` -> itself, ``"de"`` / ``"de-AT"`` / ``"de_DE"`` -> ``"deu_Latn"``,
    ``"zh-TW"`` -> ``"zho_Hant"``.
    """
    language = language.strip()
    if is_flores_code(language):
        return language
    locale = language.replace("_", "-").lower()
    code = LOCALE_LANGUAGES.get(locale) or LOCALE_LANGUAGES.get(locale.split("-")[0])
    if code is None:
        raise ValueError(
            f"Unknown language {language!r}; give a language code such as 'de' or 'zh-TW', "
            "or a FLORES-200 code such as 'deu_Latn'."
        )
    return code


@functools.cache
def _script_patterns() -> tuple[tuple[str, Any], ...]:
    import regex

    scripts = [name for name, _ in _DECIDING_SCRIPTS] + list(SCRIPT_LANGUAGES)
    return tuple((name, regex.compile(rf"\p{{Script={name}}}")) for name in scripts)


def detect_language(text: str) -> str:
    """The FLORES-200 code of ``text``'s language, judged by its script (see module doc)."""
    counts: dict[str, int] = {}
    for name, pattern in _script_patterns():
        found = len(pattern.findall(text))
        if found:
            counts[name] = found
    for name, code in _DECIDING_SCRIPTS:
        if name in counts:
            return code
    if not counts:
        return DEFAULT_LANGUAGE
    # Ties go to the script listed first in SCRIPT_LANGUAGES.
    order = list(SCRIPT_LANGUAGES)
    best = max(counts, key=lambda name: (counts[name], -order.index(name)))
    return SCRIPT_LANGUAGES[best]


def query_language(text: str, available: Collection[str], override: str | None = None) -> str:
    """The language token to put before ``text``: ``override`` if given, else the detected
    language, else ``eng_Latn`` when the model has no token for the detected one."""
    if override is not None:
        return override
    code = detect_language(text)
    return code if code in available else DEFAULT_LANGUAGE
