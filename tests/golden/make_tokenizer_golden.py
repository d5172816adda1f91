"""Write tests/golden/tokenizer_ids.json: open_clip's token ids for a fixed list of texts.

Dev script, not run by the tests. It loads ``open_clip/tokenizer.py`` (and its BPE vocab)
by path out of an open_clip_torch wheel, since the ``open_clip`` package itself does not
import without torchvision. open_clip's tokenizer needs ``torch``, ``ftfy`` and ``regex``.

Usage::

    python tests/golden/make_tokenizer_golden.py [--wheel open_clip_torch-3.3.0-py3-none-any.whl]

Without ``--wheel`` the wheel is fetched with ``pip download --no-deps``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

OPEN_CLIP_VERSION = "3.3.0"
CONTEXT_LENGTH = 77
OUT = Path(__file__).with_name("tokenizer_ids.json")

LONG_EN = (
    "A very long caption describing a sunny afternoon at the beach, where a golden "
    "retriever chases a red frisbee across the wet sand while children build elaborate "
    "sandcastles with moats and towers, seagulls circle overhead looking for scraps, a "
    "lifeguard watches from a tall white chair, surfers paddle out beyond the breaking "
    "waves, and an old couple sits under a striped umbrella reading paperback novels and "
    "sipping lemonade from a thermos as the tide slowly comes in."
)

TEXTS: list[str] = [
    # Plain English and mixed case.
    "a photo of a cat",
    "A photo of a dog.",
    "Two people riding BICYCLES through Paris",
    "sunset over the mountains",
    "McDonald's iPhone eBay YouTube",
    "THE QUICK BROWN FOX JUMPS OVER THE LAZY DOG",
    # Punctuation, numbers.
    "Hello, world! How are you?? (fine...) -- [ok]; {yes}: <no>",
    "!!!???...,,,;;;:::",
    "3 cats, 12 dogs and 2024 birds; pi = 3.14159, 1,000,000 €",
    "room 101 / floor 7 / 2nd street #42 @home 50% off $9.99",
    # Apostrophes.
    "it's the cat's toy; don't, won't, can't; they're here, we've gone, I'm done, you'll see, he'd go",
    "IT'S WE'RE I'LL SHE'D",
    "rock 'n' roll, 'quoted' words and o'clock",
    # Curly quotes and typographic punctuation.
    "\u201cSmart quotes\u201d and \u2018single ones\u2019 \u2014 em dash \u2013 en dash\u2026",
    "it\u2019s a dog\u2019s life",
    # HTML entities (open_clip unescapes twice).
    "Tom &amp; Jerry",
    "fish &amp;amp; chips",
    "&lt;b&gt;bold&lt;/b&gt; &quot;quoted&quot; &#39;single&#39; &copy; 2020 &nbsp;x&nbsp; &eacute;t&eacute;",
    "caf&#233; and &#x1F600; and e&#769;clair",
    # Full-width characters and accented Latin.
    "\uff21\uff22\uff23\uff11\uff12\uff13\uff01\uff1f \uff48\uff45\uff4c\uff4c\uff4f",
    "Caf\u00e9 cr\u00e8me br\u00fbl\u00e9e, na\u00efve fa\u00e7ade, \u00c5ngstr\u00f6m, Stra\u00dfe, S\u00e3o Paulo",
    "Cafe\u0301 with a combining accent (NFD)",
    "\u0130stanbul \u0130\u0130 and DIYARBAKIR \u0131\u0131",
    # CJK, Korean.
    "\u4e00\u8f86\u81ea\u884c\u8f66",
    "\u4e00\u53ea\u732b\u5728\u6c99\u53d1\u4e0a\u7761\u89c9\u3002",
    "\u6771\u4eac\u30bf\u30ef\u30fc\u306e\u591c\u666f\u3068\u3072\u3089\u304c\u306a\u3001\u30ab\u30bf\u30ab\u30ca",
    "\uc11c\uc6b8\uc758 \ubc24 \ud48d\uacbd \uace0\uc591\uc774",
    # Cyrillic, Arabic, Greek, Hebrew, Hindi, Thai.
    "\u041a\u043e\u0448\u043a\u0430 \u0441\u0438\u0434\u0438\u0442 \u043d\u0430 \u0414\u0418\u0412\u0410\u041d\u0415",
    "\u0642\u0637\u0629 \u0639\u0644\u0649 \u0627\u0644\u0623\u0631\u064a\u0643\u0629 \u0661\u0662\u0663",
    "\u0393\u03b5\u03b9\u03ac \u03c3\u03bf\u03c5 \u039a\u03cc\u03c3\u03bc\u03b5 \u03a3\u039f\u03a6\u039f\u03a3",
    "\u05e9\u05dc\u05d5\u05dd \u05e2\u05d5\u05dc\u05dd",
    "\u0928\u092e\u0938\u094d\u0924\u0947 \u0926\u0941\u0928\u093f\u092f\u093e \u0967\u0968\u0969",
    "\u0e2a\u0e27\u0e31\u0e2a\u0e14\u0e35\u0e04\u0e23\u0e31\u0e1a",
    # Emoji, ZWJ sequences, skin tones, flags, variation selectors.
    "a dog \U0001f436 and a cat \U0001f431",
    "family \U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466 at the park",
    "\U0001f44d\U0001f3fd thumbs up \U0001f44b\U0001f3ff wave",
    "\U0001f1ef\U0001f1f5 flag \u2764\ufe0f heart \U0001f3f3\ufe0f\u200d\U0001f308 rainbow",
    "\U0001f600\U0001f600\U0001f600\U0001f525\U0001f525",
    # Whitespace: tabs, newlines, runs of spaces, unusual spaces, leading/trailing.
    "a\tcat\non   the\r\nmat",
    "   leading and trailing spaces   ",
    "\n\t  \n",
    "no\u00a0break\u2003em\u3000ideographic\u2009thin space",
    "zero\u200bwidth\u200cjoiner\u200dtest",
    "",
    " ",
    # Mojibake that ftfy fixes.
    "caf\u00c3\u00a9 cr\u00c3\u00a8me",
    "\u00e2\u20ac\u0153mojibake quotes\u00e2\u20ac\u009d and it\u00e2\u20ac\u2122s",
    "l\u00e2\u20ac\u2122h\u00c3\u00b4tel",
    # Ligatures, special letters, symbols.
    "\ufb01sh and \ufb02ower \ufb06ar, \u212a kelvin \u2126 ohm",
    "x\u00b2 + y\u00b3 = z\u2074, \u00bd cup, \u2460\u2461\u2462, \u2163 roman",
    "math: \u2200x \u2203y (x \u2264 y) \u2192 \u221e",
    # Text that looks like special tokens.
    "<|startoftext|> hello <|endoftext|>",
    "<start_of_text> hi <end_of_text> and <START_OF_TEXT>",
    "!!<end_of_text>",
    "it'\u017f long s and '\u017f",
    # Where tokenizers' Oniguruma and open_clip's `regex` disagree (IGNORECASE, Unicode 15).
    "ypogegrammeni \u0345 alone and \u03b1\u0345 composed",
    "cjk extension h \U00031350\U00031351 chars",
    # URLs and e-mail addresses.
    "https://www.example.com/path/to/photo_001.jpg?size=large&v=2#top",
    "visit http://example.org or mail me@example.com",
    # Very long strings (well over 77 tokens).
    LONG_EN,
    "cat " * 100,
    "\u732b" * 120,
    "\U0001f431" * 40,
    "supercalifragilisticexpialidocious pneumonoultramicroscopicsilicovolcanoconiosis",
    # Control characters and odd separators.
    "a\x1cb\x1dc\x1ed\x1fe",
    "bell\x07 and del\x7f and nul-free",
    "line\u2028sep\u2029para\u0085nel",
]


def fetch_wheel(dest: Path) -> Path:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--quiet",
            "--dest",
            str(dest),
            f"open_clip_torch=={OPEN_CLIP_VERSION}",
        ],
        check=True,
    )
    wheels = sorted(dest.glob("open_clip_torch-*.whl"))
    if not wheels:
        raise SystemExit("pip download produced no open_clip_torch wheel")
    return wheels[0]


def load_open_clip_tokenizer(wheel: Path, tmp: Path):
    with zipfile.ZipFile(wheel) as zf:
        for member in ("open_clip/tokenizer.py", "open_clip/bpe_simple_vocab_16e6.txt.gz"):
            zf.extract(member, tmp)
    spec = importlib.util.spec_from_file_location(
        "open_clip_tokenizer", tmp / "open_clip" / "tokenizer.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--wheel", type=Path, help="open_clip_torch wheel (default: pip download)")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)

    if len(set(TEXTS)) != len(TEXTS):
        raise SystemExit("duplicate texts")
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        wheel = args.wheel or fetch_wheel(tmp)
        oc = load_open_clip_tokenizer(wheel, tmp)
        tokenizer = oc.SimpleTokenizer(context_length=CONTEXT_LENGTH)
        ids = tokenizer(TEXTS, context_length=CONTEXT_LENGTH).tolist()

    records = [{"text": t, "ids": row} for t, row in zip(TEXTS, ids, strict=True)]
    with args.out.open("w", encoding="utf-8") as f:
        f.write("[\n")
        f.write(",\n".join(json.dumps(r, ensure_ascii=True) for r in records))
        f.write("\n]\n")
    print(f"wrote {len(records)} texts to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
