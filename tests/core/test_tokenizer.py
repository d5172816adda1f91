"""ClipTokenizer gives exactly open_clip's ids (golden file from tests/golden/)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from photofind.core.clip.tokenizer import ClipTokenizer
from photofind.core.errors import ModelError

ROOT = Path(__file__).resolve().parents[2]
TEXTUAL = ROOT / "photofind" / "builtin_models" / "tiny-shapes" / "textual"
TOKENIZER_JSON = TEXTUAL / "tokenizer.json"
TOKENIZER_CONFIG = TEXTUAL / "tokenizer_config.json"
GOLDEN = json.loads((ROOT / "tests" / "golden" / "tokenizer_ids.json").read_text("utf-8"))
CTX = 77
SOT, EOT = 49406, 49407


@pytest.fixture(scope="module")
def tok() -> ClipTokenizer:
    return ClipTokenizer.from_files(TOKENIZER_JSON, TOKENIZER_CONFIG, CTX)


def _length(row: list[int]) -> int:
    # Golden rows are padded with 0 ("!"); the last end token ends the real tokens (a
    # literal "<end_of_text>" in a text gives an end token earlier in the row too).
    return CTX - row[::-1].index(EOT)


def _golden_lengths() -> list[int]:
    return [_length(r["ids"]) for r in GOLDEN]


def test_golden_is_big_enough():
    assert len(GOLDEN) >= 40
    assert all(len(r["ids"]) == CTX for r in GOLDEN)


@pytest.mark.parametrize("record", GOLDEN, ids=[repr(r["text"])[:40] for r in GOLDEN])
def test_each_golden_text_matches_open_clip(tok, record):
    ids, lengths = tok.encode([record["text"]])
    assert ids.dtype == np.int64 and ids.shape == (1, CTX)
    assert ids[0].tolist() == record["ids"]
    assert lengths.tolist() == [_length(record["ids"])]


def test_batch_matches_golden(tok):
    ids, lengths = tok.encode([r["text"] for r in GOLDEN])
    assert ids.shape == (len(GOLDEN), CTX)
    assert ids.tolist() == [r["ids"] for r in GOLDEN]
    assert lengths.dtype == np.int64
    assert lengths.tolist() == _golden_lengths()


def test_lengths_and_padding(tok):
    ids, lengths = tok.encode(["a photo of a cat", ""])
    assert ids[0, :7].tolist() == [SOT, 320, 1125, 539, 320, 2368, EOT]
    assert lengths.tolist() == [7, 2]
    assert (ids[0, 7:] == 0).all()
    assert ids[1, :2].tolist() == [SOT, EOT]
    assert (ids[1, 2:] == 0).all()


def test_empty_batch(tok):
    ids, lengths = tok.encode([])
    assert ids.shape == (0, CTX) and lengths.shape == (0,)


def test_truncation_ends_with_end_of_text(tok):
    ids, lengths = tok.encode(["cat " * 200, "dog"])
    assert lengths.tolist()[0] == CTX
    assert ids[0, 0] == SOT and ids[0, -1] == EOT
    assert (ids[0, 1:-1] == ids[0, 1]).all()  # "cat</w>" repeated, nothing else
    assert lengths.tolist()[1] == 3


def test_short_context_length():
    tok = ClipTokenizer(TOKENIZER_JSON, context_length=4, pad_token="!")
    ids, lengths = tok.encode(["a photo of a cat", "cat"])
    assert ids.tolist() == [[SOT, 320, 1125, EOT], [SOT, 2368, EOT, 0]]
    assert lengths.tolist() == [4, 3]


def test_pad_token_from_config(tmp_path):
    cfg = tmp_path / "tokenizer_config.json"
    cfg.write_text(json.dumps({"pad_token": "<|endoftext|>"}), encoding="utf-8")
    tok = ClipTokenizer.from_files(TOKENIZER_JSON, cfg, CTX)
    ids, lengths = tok.encode(["a cat"])
    assert ids[0, :4].tolist() == [SOT, 320, 2368, EOT]
    assert (ids[0, 4:] == EOT).all()
    assert lengths.tolist() == [4]


def test_pad_token_as_dict(tmp_path):
    cfg = tmp_path / "tokenizer_config.json"
    cfg.write_text(
        json.dumps({"pad_token": {"content": "<|endoftext|>", "special": True}}), encoding="utf-8"
    )
    tok = ClipTokenizer.from_files(TOKENIZER_JSON, cfg, CTX)
    assert tok.pad_id == EOT
    ids, _ = tok.encode(["a cat"])
    assert (ids[0, 4:] == EOT).all()


def test_no_pad_token_pads_with_end_of_text(tmp_path):
    cfg = tmp_path / "tokenizer_config.json"
    cfg.write_text(json.dumps({"model_max_length": 77}), encoding="utf-8")
    assert ClipTokenizer.from_files(TOKENIZER_JSON, cfg, CTX).pad_id == EOT
    assert ClipTokenizer.from_files(TOKENIZER_JSON, None, CTX).pad_id == EOT
    assert ClipTokenizer(TOKENIZER_JSON, context_length=CTX).pad_id == EOT


def test_committed_config_pads_with_zero(tok):
    assert tok.pad_id == 0
    assert (tok.sot_id, tok.eot_id) == (SOT, EOT)


def test_missing_tokenizer_json(tmp_path):
    missing = tmp_path / "nope" / "tokenizer.json"
    with pytest.raises(ModelError) as info:
        ClipTokenizer(missing, context_length=CTX)
    assert str(missing) in str(info.value)


def test_corrupt_tokenizer_json(tmp_path):
    bad = tmp_path / "tokenizer.json"
    bad.write_text("this is not json {", encoding="utf-8")
    with pytest.raises(ModelError) as info:
        ClipTokenizer.from_files(bad, None, CTX)
    assert str(bad) in str(info.value)


def test_json_that_is_not_a_tokenizer(tmp_path):
    bad = tmp_path / "tokenizer.json"
    bad.write_text('{"hello": 1}', encoding="utf-8")
    with pytest.raises(ModelError) as info:
        ClipTokenizer(bad, context_length=CTX)
    assert str(bad) in str(info.value)


def test_missing_or_corrupt_config(tmp_path):
    missing = tmp_path / "tokenizer_config.json"
    with pytest.raises(ModelError) as info:
        ClipTokenizer.from_files(TOKENIZER_JSON, missing, CTX)
    assert str(missing) in str(info.value)
    missing.write_text("[1, 2", encoding="utf-8")
    with pytest.raises(ModelError) as info:
        ClipTokenizer.from_files(TOKENIZER_JSON, missing, CTX)
    assert str(missing) in str(info.value)


def test_unknown_pad_token(tmp_path):
    cfg = tmp_path / "tokenizer_config.json"
    cfg.write_text(json.dumps({"pad_token": "<pad>"}), encoding="utf-8")
    with pytest.raises(ModelError) as info:
        ClipTokenizer.from_files(TOKENIZER_JSON, cfg, CTX)
    assert "<pad>" in str(info.value)
