"""When the model cannot read a query: a script outside its languages, or words outside the
part of the vocabulary a partial text tower keeps; and the built-in list of known tokens
matches the remap table inside the tiny model's graph."""

from __future__ import annotations

import numpy as np
import pytest

from photofind.core.clip import ClipEncoder
from photofind.core.clip.vocabulary import known_tokens
from photofind.core.understanding import (
    LANGUAGE,
    VOCABULARY,
    model_languages,
    query_notices,
)


def test_the_known_tokens_are_the_rows_of_the_graphs_remap(tiny_encoder: ClipEncoder):
    onnx = pytest.importorskip("onnx")
    from onnx import numpy_helper

    graph = onnx.load(str(tiny_encoder.bundle.textual_model)).graph
    tables = [
        numpy_helper.to_array(a.t)
        for node in graph.node
        if node.op_type == "Constant"
        for a in node.attribute
        if a.t.dims and a.t.dims[0] > 10_000
    ]
    assert len(tables) == 1
    assert known_tokens(tiny_encoder.bundle) == frozenset(np.flatnonzero(tables[0]).tolist())


@pytest.mark.parametrize(
    "text", ["a red circle", "A purple star!", "an orange square on a plain background"]
)
def test_words_it_learned_raise_nothing(tiny_encoder: ClipEncoder, text: str):
    assert query_notices(tiny_encoder, text) == ()


def test_words_it_never_learned_are_named(tiny_encoder: ClipEncoder):
    (notice,) = query_notices(tiny_encoder, "xqzv flurb 12345")
    assert notice.kind == VOCABULARY and notice.words == ("xqzv", "flurb", "12345")
    assert "'xqzv', 'flurb', '12345'" in notice.message and notice.model == "tiny-shapes"
    (notice,) = query_notices(tiny_encoder, "a red dog")
    assert notice.words == ("dog",) and "the word 'dog'" in notice.message


@pytest.mark.parametrize(("text", "language"), [("一辆自行车", "Chinese"), ("красная машина", "Russian"),
                                                ("赤い車", "Japanese")])  # fmt: skip
def test_a_script_outside_its_languages_is_said_once(
    tiny_encoder: ClipEncoder, text: str, language: str
):
    (notice,) = query_notices(tiny_encoder, text)
    assert notice.kind == LANGUAGE and notice.language == language
    assert "English only" in notice.message and language in notice.message
    assert notice.suggested_model and model_languages(notice.suggested_model) == ("multilingual",)


def test_models_with_a_full_vocabulary_and_unknown_models_say_nothing(tiny_encoder: ClipEncoder):
    assert model_languages("ViT-B-32__openai") == ("en",)
    assert model_languages("some-model-of-mine") is None
    assert query_notices(tiny_encoder, "   ") == ()
