"""Every signature in the public Immich CLIP zoo, on small generated bundles.

The real models cannot be downloaded here, so ``tests/helpers/zoo_bundles.py`` builds each variant
in miniature (same layout, config keys, tokenizer kind, input names, dtypes and axes) with
graphs whose output NumPy can predict. What the graph was fed is read with a spy on
``InferenceSession.run``.
"""

from __future__ import annotations

import json

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from helpers.zoo_bundles import (
    colour_bundle,
    mclip_bundle,
    nllb_bundle,
    plain_bpe_tokenizer,
    pool_text,
    siglip_bundle,
    text_graph,
    text_weights,
    visual_graph,
)
from PIL import Image

from photofind.core.clip import ClipEncoder, ModelBundle
from photofind.core.clip.language import detect_language, flores_code, query_language
from photofind.core.clip.tokenizer import ClipTokenizer, HfTokenizer, load_tokenizer
from photofind.core.errors import ModelError


@pytest.fixture
def feeds(monkeypatch):
    """Records the inputs of every ONNX Runtime call made during the test."""
    calls: list[dict[str, np.ndarray]] = []
    real_run = ort.InferenceSession.run

    def spy(self, output_names, input_feed, *args, **kwargs):
        calls.append({k: np.array(v) for k, v in input_feed.items()})
        return real_run(self, output_names, input_feed, *args, **kwargs)

    monkeypatch.setattr(ort.InferenceSession, "run", spy)
    return calls


def _encoder(root, **kw) -> ClipEncoder:
    return ClipEncoder(ModelBundle.load(root), provider="cpu", **kw)


# -- 1. resize_mode: shortest crops the middle, squash keeps the whole picture -------------


@pytest.fixture
def wide_flag(tmp_path):
    """300 x 100: red, green and blue thirds."""
    img = Image.new("RGB", (300, 100))
    for i, colour in enumerate([(255, 0, 0), (0, 255, 0), (0, 0, 255)]):
        img.paste(colour, (100 * i, 0, 100 * (i + 1), 100))
    path = tmp_path / "flag.png"
    img.save(path)
    return path


def test_squash_bundle_sees_the_whole_wide_image(tmp_path, wide_flag):
    squash = _encoder(colour_bundle(tmp_path / "squash", resize_mode="squash"))
    shortest = _encoder(colour_bundle(tmp_path / "shortest", resize_mode="shortest"))
    assert squash.bundle.preprocess.resize_mode == "squash"

    # The graph outputs the mean R, G, B of what it was given (then L2-normalised).
    whole = squash.encode_images([wide_flag])[0]
    middle = shortest.encode_images([wide_flag])[0]
    np.testing.assert_allclose(whole, np.full(3, 1 / np.sqrt(3)), atol=0.02)
    np.testing.assert_allclose(middle, [0.0, 1.0, 0.0], atol=0.02)

    tensor = squash.preprocessor.load(wide_flag)
    assert tensor.shape == (3, 32, 32)
    assert tensor[0, :, 0].min() > 0.95 and tensor[2, :, -1].min() > 0.95  # both ends kept


# -- 2. SigLIP: mean/std 0.5, 64 tokens always, SentencePiece, canonicalised text ----------


@pytest.fixture(scope="module")
def siglip(tmp_path_factory):
    return siglip_bundle(tmp_path_factory.mktemp("siglip") / "ViT-B-16-SigLIP__webli")


@pytest.fixture(scope="module")
def siglip_dynamic(tmp_path_factory):
    root = tmp_path_factory.mktemp("siglip_dyn") / "ViT-B-16-SigLIP__webli"
    return siglip_bundle(root, fixed_length=False)


def test_siglip_bundle_config(siglip, tmp_path):
    bundle = ModelBundle.load(siglip.root)
    assert bundle.context_length == 64
    assert bundle.preprocess.mean == (0.5, 0.5, 0.5) and bundle.preprocess.std == (0.5, 0.5, 0.5)
    assert bundle.text_clean == "canonicalize"
    white = tmp_path / "white.png"
    Image.new("RGB", (40, 40), (255, 255, 255)).save(white)
    np.testing.assert_allclose(ClipEncoder(bundle, "cpu").preprocessor.load(white), 1.0)


def test_siglip_tokenizer_is_generic_and_canonicalises(siglip):
    encoder = _encoder(siglip.root)
    tok = encoder.tokenizer
    assert isinstance(tok, HfTokenizer) and not tok.has_languages
    eos = siglip.tokenizer.token_to_id("</s>")
    assert tok.pad_id == eos  # the config's pad token, not "<pad>"
    assert tok.clean("  A Photo,  of the DOG! ") == "a photo of the dog"
    assert tok.clean("snake_case &amp; more") == "snake case more"

    ids, lengths = tok.encode(["A Photo, of the DOG!", "a photo of the dog", ""])
    assert ids.shape == (3, 64)
    assert ids[0].tolist() == ids[1].tolist()
    expected = siglip.tokenizer.encode("a photo of the dog").ids
    assert expected[-1] == eos
    assert lengths[0] == len(expected)
    assert ids[0, : len(expected)].tolist() == expected
    assert (ids[0, len(expected) :] == eos).all()
    assert lengths[2] == 1 and ids[2, 0] == eos  # only the end token


def test_siglip_long_text_is_truncated_to_64_with_the_end_token(siglip):
    ids, lengths = _encoder(siglip.root).tokenizer.encode(["a red car " * 40])
    assert lengths.tolist() == [64]
    assert ids[0, -1] == siglip.tokenizer.token_to_id("</s>")
    assert ids[0, 0] != ids[0, -1]


@pytest.mark.parametrize("fixture", ["siglip", "siglip_dynamic"])
def test_siglip_graph_always_gets_64_padded_tokens(request, fixture, feeds):
    zoo = request.getfixturevalue(fixture)
    encoder = _encoder(zoo.root)
    texts = ["A dog on the beach.", "一辆自行车"]
    vectors = encoder.encode_texts(texts, trim=True)
    assert not encoder.padding_is_inert()

    assert len(feeds) == 2  # fixed batch of 1
    ids, lengths = encoder.tokenizer.encode(texts)
    for row, call in enumerate(feeds):
        assert list(call) == ["text"]
        assert call["text"].shape == (1, 64) and call["text"].dtype == np.int32
        assert call["text"][0].tolist() == ids[row].tolist()
    # The vector depends on every position, so padding to 64 is visible in the value.
    np.testing.assert_allclose(vectors, pool_text(zoo.weights, ids, "mean"), atol=1e-5)
    trimmed = pool_text(zoo.weights, ids[:, : int(lengths.max())], "mean")
    assert np.abs(vectors - trimmed).max() > 0.05


def test_siglip_fixed_and_dynamic_exports_agree(siglip, siglip_dynamic):
    texts = ["mountains under a blue sky", "the cat sleeps"]
    np.testing.assert_allclose(
        _encoder(siglip.root).encode_texts(texts),
        _encoder(siglip_dynamic.root).encode_texts(texts),
        atol=1e-6,
    )


# -- 3. M-CLIP: input_ids + attention_mask, XLM-R tokenizer, pad id 1 ----------------------


@pytest.fixture(scope="module")
def mclip(tmp_path_factory):
    return mclip_bundle(tmp_path_factory.mktemp("mclip") / "XLM-Roberta-Large-Vit-B-32")


@pytest.fixture(scope="module")
def mclip_dynamic(tmp_path_factory):
    root = tmp_path_factory.mktemp("mclip_dyn") / "XLM-Roberta-Large-Vit-B-32"
    return mclip_bundle(root, fixed_length=False, dtype=onnx.TensorProto.INT64)


def test_mclip_feeds_ids_and_a_mask_over_the_real_tokens(mclip, feeds):
    encoder = _encoder(mclip.root)
    tok = encoder.tokenizer
    assert isinstance(tok, HfTokenizer) and tok.pad_id == 1
    text = "ein Fahrrad am See"
    vector = encoder.encode_text(text)

    expected = mclip.tokenizer.encode(text).ids
    assert expected[0] == 0 and expected[-1] == 2  # <s> … </s>
    (call,) = feeds
    assert set(call) == {"input_ids", "attention_mask"}
    assert call["input_ids"].shape == (1, 77) and call["input_ids"].dtype == np.int32
    assert call["attention_mask"].dtype == np.int32
    n = len(expected)
    assert call["input_ids"][0, :n].tolist() == expected
    assert (call["input_ids"][0, n:] == 1).all()
    assert call["attention_mask"][0].tolist() == [1] * n + [0] * (77 - n)

    want = pool_text(mclip.weights, call["input_ids"].astype(np.int64), "masked_mean", [n])
    np.testing.assert_allclose(vector, want[0], atol=1e-5)


def test_masked_graph_trims_to_the_longest_row_with_the_same_result(mclip, mclip_dynamic, feeds):
    encoder = _encoder(mclip_dynamic.root)
    assert encoder.padding_is_inert()
    texts = ["a dog on the beach", "一辆自行车", "собака на пляже"]
    trimmed = encoder.encode_texts(texts, trim=True)
    padded = encoder.encode_texts(texts, trim=False)
    np.testing.assert_allclose(trimmed, padded, atol=1e-6)

    _, lengths = encoder.tokenizer.encode(texts)
    first, second = feeds
    assert first["input_ids"].shape == (3, int(lengths.max()))
    assert first["input_ids"].dtype == np.int64 and first["attention_mask"].dtype == np.int64
    assert first["attention_mask"].sum(axis=1).tolist() == lengths.tolist()
    assert second["input_ids"].shape == (3, 77)
    # The fixed (1, 77) int32 export of the same weights gives the same vectors.
    np.testing.assert_allclose(_encoder(mclip.root).encode_texts(texts), padded, atol=1e-6)


# -- 4. NLLB-CLIP: the query's FLORES-200 language token first ----------------------------


@pytest.fixture(scope="module")
def nllb(tmp_path_factory):
    return nllb_bundle(tmp_path_factory.mktemp("nllb") / "nllb-clip-base-siglip__v1")


@pytest.fixture(scope="module")
def nllb_plain(tmp_path_factory):
    root = tmp_path_factory.mktemp("nllb_plain") / "nllb-clip-base-siglip__v1"
    return nllb_bundle(root, language_in_template=False)


def _text_ids(zoo, text: str) -> list[int]:
    """The text's own tokens and </s>, without the template's language token."""
    return [i for i in zoo.tokenizer.encode(text).ids if i != zoo.tokenizer.token_to_id("eng_Latn")]


@pytest.mark.parametrize("fixture", ["nllb", "nllb_plain"])
def test_nllb_query_starts_with_its_detected_language(request, fixture):
    zoo = request.getfixturevalue(fixture)
    encoder = _encoder(zoo.root)
    assert encoder.bundle.context_length == 77  # open_clip's default, not model_max_length
    assert isinstance(encoder.tokenizer, HfTokenizer) and encoder.tokenizer.has_languages
    code = zoo.tokenizer.token_to_id
    ids, lengths = encoder.tokenize(["一辆自行车", "a bicycle", "велосипед", "自転車に乗る"])
    rows = [ids[i, : lengths[i]].tolist() for i in range(4)]
    assert rows[0] == [code("zho_Hans"), *_text_ids(zoo, "一辆自行车")]
    assert rows[1] == [code("eng_Latn"), *_text_ids(zoo, "a bicycle")]
    assert rows[2][0] == code("rus_Cyrl") and rows[3][0] == code("jpn_Jpan")
    for row in rows:  # exactly one language token, then the text, then </s>
        assert sum(t in {code(c) for c in ("eng_Latn", "zho_Hans")} for t in row) <= 1
        assert row[-1] == code("</s>")
    assert (ids[0, lengths[0] :] == code("<pad>")).all()


def test_nllb_language_override(nllb):
    code = nllb.tokenizer.token_to_id
    fixed = _encoder(nllb.root, language="deu_Latn")
    ids, _ = fixed.tokenize(["一辆自行车", "ein Fahrrad"])
    assert ids[:, 0].tolist() == [code("deu_Latn")] * 2
    ids, _ = _encoder(nllb.root, language="fr-CA").tokenize(["un vélo"])
    assert ids[0, 0] == code("fra_Latn")
    ids, _ = fixed.tokenize(["un vélo"], language="ru")  # per call beats the encoder's
    assert ids[0, 0] == code("rus_Cyrl")

    with pytest.raises(ModelError, match="Unknown language 'klingon'"):
        _encoder(nllb.root, language="klingon")
    with pytest.raises(ModelError, match="no token for the language 'kor_Hang'"):
        _encoder(nllb.root, language="ko").tokenize(["자전거"])
    # Detected, but this vocabulary lacks it: the default language instead of an error.
    ids, _ = _encoder(nllb.root).tokenize(["자전거"])
    assert ids[0, 0] == code("eng_Latn")


def test_nllb_language_token_reaches_the_graph(nllb, feeds):
    encoder = _encoder(nllb.root)
    code = nllb.tokenizer.token_to_id
    vector = encoder.encode_text("一辆自行车")  # the graph pools the first position
    (call,) = feeds
    assert call["text"].shape == (1, 77) and call["text"][0, 0] == code("zho_Hans")
    want = pool_text(nllb.weights, np.array([[code("zho_Hans")]]), "first")[0]
    np.testing.assert_allclose(vector, want, atol=1e-5)
    assert not encoder.padding_is_inert()


def test_nllb_truncation_keeps_language_and_end_tokens(nllb, nllb_plain):
    for zoo in (nllb, nllb_plain):
        ids, lengths = _encoder(zoo.root).tokenize(["велосипед у озера " * 30])
        assert lengths.tolist() == [77]
        assert ids[0, 0] == zoo.tokenizer.token_to_id("rus_Cyrl")
        assert ids[0, -1] == zoo.tokenizer.token_to_id("</s>")


def test_nllb_is_also_known_by_name_when_its_codes_are_plain_vocabulary(tmp_path):
    named = nllb_bundle(tmp_path / "nllb-clip-base-siglip__v1", codes_in_vocab=True)
    ids, _ = _encoder(named.root).tokenize(["一辆自行车"])
    assert ids[0, 0] == named.tokenizer.token_to_id("zho_Hans")
    # The same file in a model that does not say NLLB anywhere: no language token.
    other = nllb_bundle(tmp_path / "multilingual", codes_in_vocab=True, hf_name="xlm-roberta")
    tokenizer = _encoder(other.root).tokenizer
    assert isinstance(tokenizer, HfTokenizer) and not tokenizer.has_languages
    ids, lengths = _encoder(other.root).tokenize(["一辆自行车"])
    assert ids[0, : lengths[0]].tolist() == other.tokenizer.encode("一辆自行车").ids


def test_other_models_ignore_the_language(siglip, tiny_bundle):
    for bundle in (ModelBundle.load(siglip.root), tiny_bundle):
        plain = ClipEncoder(bundle, "cpu").tokenize(["一辆自行车"])
        fixed = ClipEncoder(bundle, "cpu", language="de").tokenize(["一辆自行车"])
        assert plain[0].tolist() == fixed[0].tolist()


# -- language detection --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("一辆自行车", "zho_Hans"),
        ("a bicycle", "eng_Latn"),
        ("自転車に乗る", "jpn_Jpan"),
        ("東京タワー", "jpn_Jpan"),
        ("자전거", "kor_Hang"),
        ("велосипед", "rus_Cyrl"),
        ("iPhone на столе", "rus_Cyrl"),
        ("دراجة هوائية", "arb_Arab"),
        ("ποδήλατο", "ell_Grek"),
        ("אופניים", "heb_Hebr"),
        ("साइकिल", "hin_Deva"),
        ("จักรยาน", "tha_Thai"),
        ("2024 !!", "eng_Latn"),
        ("", "eng_Latn"),
    ],
)
def test_detect_language_by_script(text, code):
    assert detect_language(text) == code


def test_flores_code_and_query_language():
    assert flores_code("zho_Hant") == "zho_Hant"
    assert flores_code("de") == "deu_Latn"
    assert flores_code("pt_BR") == "por_Latn"
    assert flores_code("zh-TW") == "zho_Hant"
    assert flores_code("ja") == "jpn_Jpan"
    with pytest.raises(ValueError, match="Unknown language"):
        flores_code("xx")
    assert query_language("一辆自行车", {"eng_Latn", "zho_Hans"}) == "zho_Hans"
    assert query_language("一辆自行车", {"eng_Latn"}) == "eng_Latn"
    assert query_language("一辆自行车", {"eng_Latn"}, "deu_Latn") == "deu_Latn"


# -- tokenizer kinds -----------------------------------------------------------------------


def test_tokenizer_kind_comes_from_tokenizer_json(tiny_bundle, tmp_path):
    clip = load_tokenizer(tiny_bundle.tokenizer_json, tiny_bundle.tokenizer_config, 77)
    assert isinstance(clip, ClipTokenizer)
    path = tmp_path / "tokenizer.json"
    plain_bpe_tokenizer().save(str(path))
    generic = load_tokenizer(path, None, 16)
    assert isinstance(generic, HfTokenizer)
    assert generic.pad_id == 0  # "<pad>" when no config names a pad token
    ids, lengths = generic.encode(["A dog"])
    assert ids[0, lengths[0] - 1] == 1  # <eos> from the file's post-processor


def test_generic_tokenizer_pad_token_must_exist(tmp_path, siglip):
    cfg = tmp_path / "tokenizer_config.json"
    cfg.write_text(json.dumps({"pad_token": "[PAD]"}), encoding="utf-8")
    with pytest.raises(ModelError, match=r"'\[PAD\]'.*tokenizer.json"):
        load_tokenizer(siglip.root / "textual" / "tokenizer.json", cfg, 64)


# -- outputs, fixed batches -----------------------------------------------------------------


def test_output_names_and_a_fixed_batch_larger_than_the_rest(tmp_path, wide_flag):
    root = colour_bundle(tmp_path / "b", resize_mode="squash")
    onnx.save(
        visual_graph(np.eye(3, dtype=np.float32), size=32, batch=2, output="image_embedding"),
        str(root / "visual" / "model.onnx"),
    )
    weights = text_weights(300, 3, seed=4)
    onnx.save(
        text_graph(weights, length=16, output="text_embedding", dtype=onnx.TensorProto.INT64),
        str(root / "textual" / "model.onnx"),
    )
    encoder = _encoder(root)
    vectors = encoder.encode_images([wide_flag] * 3)  # batches of 2: 2 + 1 (padded)
    assert vectors.shape == (3, 3)
    np.testing.assert_allclose(vectors, vectors[:1].repeat(3, 0), atol=1e-6)
    assert encoder.encode_texts(["a", "b", "c"]).shape == (3, 3)


# -- 5. graphs photofind cannot feed --------------------------------------------------------


def test_text_graph_with_unknown_inputs_is_refused_by_name(tmp_path):
    root = mclip_bundle(tmp_path / "bert").root
    weights = text_weights(200, 8)
    graph = text_graph(weights, input_name="input_ids", mask=True, extra_inputs=("token_type_ids",))
    onnx.save(graph, str(root / "textual" / "model.onnx"))
    with pytest.raises(ModelError) as err:
        _encoder(root).encode_text("a dog")
    message = str(err.value)
    assert "textual/model.onnx" in message
    assert "token_type_ids" in message and "input_ids" in message and "attention_mask" in message
    assert "\n" not in message


def test_float_text_input_and_two_image_inputs_are_refused(tmp_path, wide_flag):
    root = colour_bundle(tmp_path / "b", resize_mode="shortest")
    onnx.save(
        visual_graph(np.eye(3, dtype=np.float32), size=32, extra_input="scale"),
        str(root / "visual" / "model.onnx"),
    )
    with pytest.raises(ModelError, match=r"visual/model\.onnx takes inputs .*image.*scale"):
        _encoder(root).encode_images([wide_flag])

    model = onnx.load(str(root / "textual" / "model.onnx"))
    model.graph.input[0].type.tensor_type.elem_type = onnx.TensorProto.FLOAT
    onnx.save(model, str(root / "textual" / "model.onnx"))
    with pytest.raises(
        ModelError, match=r"textual/model\.onnx takes inputs .*text tensor\(float\)"
    ):
        _encoder(root).encode_text("a dog")


def test_context_longer_than_a_fixed_graph_is_named(tmp_path):
    root = siglip_bundle(tmp_path / "short").root
    config = json.loads((root / "config.json").read_text())
    config["text_cfg"]["context_length"] = 77
    (root / "config.json").write_text(json.dumps(config))
    encoder = _encoder(root)
    assert encoder.encode_text("a dog").shape == (8,)  # 77 pad columns cut to 64
    with pytest.raises(ModelError, match="context_length to 64"):
        encoder.encode_text("a red car " * 40)


@pytest.mark.parametrize(
    ("text_cfg", "match"),
    [
        ({"context_length": 1}, "context_length"),
        ({"context_length": "long"}, "context_length"),
        ({"tokenizer_kwargs": {"clean": "sparkle"}}, "sparkle"),
    ],
)
def test_bad_text_config_is_named(tmp_path, text_cfg, match):
    root = siglip_bundle(tmp_path / "bad").root
    config = json.loads((root / "config.json").read_text())
    config["text_cfg"].update(text_cfg)
    (root / "config.json").write_text(json.dumps(config))
    with pytest.raises(ModelError, match=match):
        ModelBundle.load(root)


def test_language_setting_reaches_the_library(nllb, tmp_path, monkeypatch):
    from photofind.core.config import app_paths
    from photofind.core.library import open_library

    code = nllb.tokenizer.token_to_id
    monkeypatch.setenv("PHOTOFIND_LANGUAGE", "de")
    library = open_library(app_paths(tmp_path / "data"), str(nllb.root), "cpu")
    try:
        ids, _ = library.encoder.tokenize(["一辆自行车"])
        assert ids[0, 0] == code("deu_Latn")
    finally:
        library.close()
    monkeypatch.delenv("PHOTOFIND_LANGUAGE")
    library = open_library(app_paths(tmp_path / "data"), str(nllb.root), "cpu")
    try:
        assert library.encoder.tokenize(["一辆自行车"])[0][0, 0] == code("zho_Hans")
    finally:
        library.close()
    library = open_library(app_paths(tmp_path / "data"), str(nllb.root), "cpu", language="ru")
    try:
        assert library.encoder.tokenize(["a bicycle"])[0][0, 0] == code("rus_Cyrl")
    finally:
        library.close()
