"""Build a Hugging Face ``tokenizers`` tokenizer.json for CLIP from open_clip's BPE vocab.

Dev tool, not used by the app at run time. The output has the same structure as Hugging
Face's ``openai/clip-vit-base-patch32`` tokenizer.json (byte-level BPE with a ``</w>``
end-of-word suffix) and the same vocabulary and ids as open_clip's ``SimpleTokenizer``:

* ids 0..255: the 256 ``bytes_to_unicode`` characters, in that function's order;
* ids 256..511: the same characters followed by ``</w>``;
* then one token per merge (the two halves joined), merges being lines
  ``[1 : 49152 - 256 - 2 + 1]`` of ``bpe_simple_vocab_16e6.txt.gz``;
* then ``<|startoftext|>`` (49406) and ``<|endoftext|>`` (49407).

open_clip pads with id 0, which is ``"!"``, so tokenizer_config.json names ``"!"`` as
the pad token.

Usage::

    python models/make_tokenizer.py OUT_DIR [--vocab bpe_simple_vocab_16e6.txt.gz]

Without ``--vocab`` the open_clip_torch wheel is fetched with ``pip download --no-deps``
into a temporary folder and the vocab is read from it.
"""

from __future__ import annotations

import argparse
import gzip
import json
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

OPEN_CLIP_VERSION = "3.3.0"
VOCAB_MEMBER = "open_clip/bpe_simple_vocab_16e6.txt.gz"
SOT = "<|startoftext|>"
EOT = "<|endoftext|>"
# CLIP's pre-tokenisation regex, as in Hugging Face's openai/clip-vit-base-patch32.
SPLIT_PATTERN = (
    r"<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d"
    r"|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+"
)
TOKENIZER_CONFIG = {
    "pad_token": "!",
    "model_max_length": 77,
    "bos_token": SOT,
    "eos_token": EOT,
    "unk_token": EOT,
}


def bytes_to_unicode() -> dict[int, str]:
    """open_clip's (and GPT-2's) reversible byte -> printable character table."""
    bs = (
        list(range(ord("!"), ord("~") + 1))
        + list(range(ord("¡"), ord("¬") + 1))
        + list(range(ord("®"), ord("ÿ") + 1))
    )
    cs = bs[:]
    n = 0
    for b in range(2**8):
        if b not in bs:
            bs.append(b)
            cs.append(2**8 + n)
            n += 1
    return dict(zip(bs, [chr(c) for c in cs], strict=True))


def read_merges(vocab_gz: bytes) -> list[tuple[str, str]]:
    lines = gzip.decompress(vocab_gz).decode("utf-8").split("\n")
    lines = lines[1 : 49152 - 256 - 2 + 1]
    merges = []
    for line in lines:
        parts = line.split()
        if len(parts) != 2:
            raise SystemExit(f"unexpected merge line in vocab: {line!r}")
        merges.append((parts[0], parts[1]))
    return merges


def build_vocab(merges: list[tuple[str, str]]) -> dict[str, int]:
    chars = list(bytes_to_unicode().values())
    tokens = chars + [c + "</w>" for c in chars] + ["".join(m) for m in merges] + [SOT, EOT]
    vocab = {t: i for i, t in enumerate(tokens)}
    if len(vocab) != len(tokens):
        raise SystemExit("duplicate tokens in vocab")
    return vocab


def build_tokenizer(vocab_gz: bytes):
    from tokenizers import (
        Regex,
        Tokenizer,
        decoders,
        models,
        normalizers,
        pre_tokenizers,
        processors,
    )

    merges = read_merges(vocab_gz)
    vocab = build_vocab(merges)
    tok = Tokenizer(
        models.BPE(
            vocab=vocab,
            merges=merges,
            unk_token=EOT,
            continuing_subword_prefix="",
            end_of_word_suffix="</w>",
            fuse_unk=False,
        )
    )
    tok.normalizer = normalizers.Sequence(
        [normalizers.NFC(), normalizers.Replace(Regex(r"\s+"), " "), normalizers.Lowercase()]
    )
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(SPLIT_PATTERN), behavior="removed", invert=True),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
        ]
    )
    tok.post_processor = processors.RobertaProcessing(
        (EOT, vocab[EOT]), (SOT, vocab[SOT]), trim_offsets=False, add_prefix_space=False
    )
    tok.decoder = decoders.ByteLevel()
    tok.add_special_tokens([SOT, EOT])
    if tok.token_to_id(SOT) != 49406 or tok.token_to_id(EOT) != 49407:
        raise SystemExit("special token ids are not 49406/49407")
    if tok.get_vocab_size() != 49408:
        raise SystemExit(f"vocab size {tok.get_vocab_size()} != 49408")
    return tok


def fetch_vocab() -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--no-deps",
                "--quiet",
                "--dest",
                tmp,
                f"open_clip_torch=={OPEN_CLIP_VERSION}",
            ],
            check=True,
        )
        wheels = sorted(Path(tmp).glob("open_clip_torch-*.whl"))
        if not wheels:
            raise SystemExit("pip download produced no open_clip_torch wheel")
        with zipfile.ZipFile(wheels[0]) as zf:
            return zf.read(VOCAB_MEMBER)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "out", type=Path, help="folder to write tokenizer.json and tokenizer_config.json"
    )
    ap.add_argument(
        "--vocab",
        type=Path,
        help="open_clip's bpe_simple_vocab_16e6.txt.gz (default: fetch the open_clip_torch "
        f"{OPEN_CLIP_VERSION} wheel with pip download)",
    )
    args = ap.parse_args(argv)

    vocab_gz = args.vocab.read_bytes() if args.vocab else fetch_vocab()
    tok = build_tokenizer(vocab_gz)

    args.out.mkdir(parents=True, exist_ok=True)
    tok_path = args.out / "tokenizer.json"
    tok.save(str(tok_path), pretty=False)
    cfg_path = args.out / "tokenizer_config.json"
    cfg_path.write_text(json.dumps(TOKENIZER_CONFIG, indent=2) + "\n", encoding="utf-8")

    # Sanity check: the written file loads and encodes as CLIP does.
    from tokenizers import Tokenizer

    ids = Tokenizer.from_file(str(tok_path)).encode("a photo of a cat").ids
    if ids != [49406, 320, 1125, 539, 320, 2368, 49407]:
        raise SystemExit(f"sanity check failed: {ids}")
    print(f"wrote {tok_path} ({tok_path.stat().st_size} bytes) and {cfg_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
