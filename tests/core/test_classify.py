"""Zero-shot labels: accuracy on a labelled generated library with the tiny model, softmax
and sigmoid probabilities, where each model's scale comes from, and files that fail."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from photofind.core.classify import (
    DEFAULT_LOGIT_SCALE,
    Classification,
    ClassifyError,
    ClassifyFailure,
    Scoring,
    ZeroShotClassifier,
    clean_labels,
    default_templates,
    scoring_for,
)
from photofind.core.clip import ClipEncoder, ModelBundle
from photofind.core.clip.bundle import builtin_models_dir
from photofind.core.models.registry import load_registry
from photofind.core.shapes import all_classes, generate_library

UNSEEN_SEED = 3131  # not a seed the tiny model was trained on, nor one of its other tests
LABELS = [f"{colour} {shape}" for colour, shape in all_classes()]


@pytest.fixture(scope="module")
def labelled(tmp_path_factory: pytest.TempPathFactory):
    """240 fresh photos, ten of each of the 24 colour+shape classes, every file format."""
    return generate_library(tmp_path_factory.mktemp("labelled"), 240, seed=UNSEEN_SEED,
                            size_range=(300, 700))  # fmt: skip


@pytest.fixture(scope="module")
def classifier(tiny_encoder: ClipEncoder) -> ZeroShotClassifier:
    return ZeroShotClassifier(tiny_encoder)


@pytest.fixture(scope="module")
def results(classifier, labelled) -> list[Classification]:
    found = list(classifier.classify_files([p.path for p in labelled], LABELS))
    assert all(isinstance(r, Classification) for r in found)
    return found  # type: ignore[return-value]


def test_top1_over_the_24_colour_shape_labels_is_well_above_chance(labelled, results):
    correct = [r.labels[0].label == p.label for r, p in zip(results, labelled, strict=True)]
    assert np.mean(correct) >= 0.95, [
        (p.path.name, r.labels[0].label) for r, p, ok in zip(results, labelled, correct,
                                                             strict=True) if not ok
    ]  # fmt: skip


def test_probabilities_sum_to_one_and_come_best_first(results):
    for result in results:
        probs = [lp.probability for lp in result.labels]
        assert sorted(lp.label for lp in result.labels) == sorted(LABELS)
        assert sum(probs) == pytest.approx(1.0, abs=1e-5)
        assert probs == sorted(probs, reverse=True)
        assert all(0.0 <= p <= 1.0 for p in probs)


def test_results_follow_the_order_of_the_files(labelled, results):
    assert [r.source for r in results] == [p.path for p in labelled]


def test_stored_vectors_give_the_same_labels_as_the_files(classifier, tiny_encoder, labelled,
                                                          results):  # fmt: skip
    vectors = tiny_encoder.encode_images([p.path for p in labelled[:24]])
    for ranked, result in zip(classifier.rank(vectors, LABELS), results[:24], strict=True):
        assert [lp.label for lp in ranked] == [lp.label for lp in result.labels]
        np.testing.assert_allclose([lp.probability for lp in ranked],
                                   [lp.probability for lp in result.labels], atol=1e-5)  # fmt: skip


def test_a_label_vector_is_the_normalised_mean_over_the_templates(classifier, tiny_encoder):
    texts = [t.format("red circle") for t in default_templates()]
    each = tiny_encoder.encode_texts(texts)
    each /= np.linalg.norm(each, axis=1, keepdims=True)
    mean = each.mean(axis=0)
    np.testing.assert_allclose(classifier.label_vectors(["red circle"])[0],
                               mean / np.linalg.norm(mean), atol=1e-5)  # fmt: skip


def test_the_scale_sharpens_the_probabilities(tiny_encoder, labelled):
    vectors = tiny_encoder.encode_images([labelled[0].path])
    soft = ZeroShotClassifier(tiny_encoder, scoring=Scoring(5.0, None, "test"))
    sharp = ZeroShotClassifier(tiny_encoder, scoring=Scoring(100.0, None, "test"))
    assert soft.probabilities(vectors, LABELS).max() < sharp.probabilities(vectors, LABELS).max()
    cosines = vectors @ soft.label_vectors(LABELS).T
    expected = np.exp(5.0 * cosines) / np.exp(5.0 * cosines).sum()
    np.testing.assert_allclose(soft.probabilities(vectors, LABELS), expected, rtol=1e-5)


def test_independent_probabilities_are_the_sigmoid_with_the_bias(tiny_encoder, labelled):
    vectors = tiny_encoder.encode_images([p.path for p in labelled[:3]])
    siglip_like = ZeroShotClassifier(tiny_encoder, scoring=Scoring(112.0, -16.5, "test"))
    probs = siglip_like.probabilities(vectors, LABELS, independent=True)
    cosines = vectors @ siglip_like.label_vectors(LABELS).T
    logits = 112.0 * cosines.astype(np.float64) - 16.5
    np.testing.assert_allclose(probs, np.exp(logits) / (1 + np.exp(logits)), rtol=1e-4,
                               atol=1e-9)  # fmt: skip
    assert not np.allclose(probs.sum(axis=1), 1.0)  # each label stands on its own
    one = siglip_like.probabilities(vectors, ["red circle"], independent=True)
    assert one.shape == (3, 1)  # one label is a yes/no question: allowed


def test_a_softmax_model_refuses_independent_probabilities(classifier):
    with pytest.raises(ClassifyError, match="SigLIP"):
        classifier.check(LABELS, independent=True)


def test_one_label_or_none_is_refused_in_a_sentence(classifier):
    with pytest.raises(ClassifyError, match="two or more"):
        classifier.check(["red circle"])
    with pytest.raises(ClassifyError, match="at least two"):
        classifier.check([])


def test_labels_are_cleaned_as_typed():
    assert clean_labels([" red  circle", "Red circle", "", "  ", "blue star"]) == [
        "red circle", "blue star",
    ]  # fmt: skip


def test_a_file_that_cannot_be_read_fails_alone(classifier, labelled, tmp_path: Path):
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8 not really a jpeg")
    missing = tmp_path / "missing.png"
    sources = [labelled[0].path, broken, missing, labelled[1].path]
    found = list(classifier.classify_files(sources, LABELS))
    assert [r.source for r in found] == sources
    assert isinstance(found[0], Classification) and isinstance(found[3], Classification)
    assert isinstance(found[1], ClassifyFailure) and isinstance(found[2], ClassifyFailure)
    assert found[1].reason and found[2].reason
    assert found[0].labels[0].label == labelled[0].label


def test_templates_are_data_with_one_placeholder_each():
    templates = default_templates()
    assert len(templates) >= 4 and all(t.count("{}") == 1 for t in templates)


def test_the_tiny_model_scores_with_the_scale_in_its_folder(tiny_bundle: ModelBundle):
    scoring = scoring_for(tiny_bundle)
    assert scoring.source == "model folder"
    assert (
        scoring.logit_scale
        == json.loads((tiny_bundle.root / "config.json").read_text())["logit_scale"]
    )
    assert not scoring.independent


def _copy_as(name: str, tmp_path: Path, **config_changes) -> ModelBundle:
    folder = tmp_path / name
    shutil.copytree(builtin_models_dir() / "tiny-shapes", folder)
    config = json.loads((folder / "config.json").read_text())
    config.pop("logit_scale")
    config.update(config_changes)
    (folder / "config.json").write_text(json.dumps(config))
    return ModelBundle.load(folder)


def test_a_zoo_model_takes_its_known_values_from_the_registry(tmp_path: Path):
    siglip = scoring_for(_copy_as("ViT-B-16-SigLIP__webli", tmp_path))
    known = load_registry().get("ViT-B-16-SigLIP__webli")
    assert siglip == Scoring(known.logit_scale, known.logit_bias, "registry")
    assert siglip.independent and 100 < siglip.logit_scale < 130 and siglip.logit_bias < 0
    openai = scoring_for(_copy_as("ViT-B-32__openai", tmp_path))
    assert openai == Scoring(100.0, None, "registry")


def test_an_unknown_model_gets_clips_scale_and_its_own_config_wins(tmp_path: Path):
    assert scoring_for(_copy_as("someone-elses-clip", tmp_path)) == Scoring(
        DEFAULT_LOGIT_SCALE, None, "default"
    )
    own = scoring_for(_copy_as("ViT-B-32__openai-finetuned", tmp_path, logit_scale=50,
                               logit_bias=-3.0))  # fmt: skip
    assert own == Scoring(50.0, -3.0, "model folder")
    nonsense = scoring_for(_copy_as("odd", tmp_path, logit_scale=-1))
    assert nonsense.source == "default"
