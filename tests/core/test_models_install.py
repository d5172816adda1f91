"""Installing from a hub over real HTTP on 127.0.0.1 (tests/helpers/hubserver.py serves tiny-shapes
as if it were an Immich repository, with decoy files that must never be fetched)."""

from __future__ import annotations

import errno
import hashlib
import threading
import time
from pathlib import Path

import pytest
from helpers.hubserver import FakeHub, free_port, isolate_hub

from photofind.core.clip import ClipEncoder, ModelBundle
from photofind.core.config import AppPaths, app_paths
from photofind.core.errors import ModelError
from photofind.core.models import chosen_model, quantize, read_options, set_active_model, uses_int8
from photofind.core.models import install as install_module
from photofind.core.models.download import RUNTIME_FILES
from photofind.core.models.install import InstallProgress, import_model, install_model
from photofind.core.models.install_progress import INSTALL_STEPS, PHASES

REPO = "immich-app/ViT-B-32__openai"
NAME = "ViT-B-32__openai"
DECOYS = {
    "visual/fp16/model.onnx": b"\0" * 4096,
    "textual/fp16/model.onnx": b"\0" * 4096,
    "visual/rknpu/rk3588/model.rknn": b"\1" * 2048,
    "textual/armnn/model.armnn": b"\2" * 2048,
    "README.md": b"# ViT-B-32__openai\n",
    ".gitattributes": b"*.onnx filter=lfs diff=lfs merge=lfs -text\n",
}


@pytest.fixture
def hub(tiny_bundle: ModelBundle, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    server = FakeHub()
    server.add_repo(REPO, tiny_bundle.root, extra=DECOYS)
    with server:
        isolate_hub(monkeypatch, tmp_path / "hf-home", server.url)
        yield server


@pytest.fixture
def paths(tmp_path: Path) -> AppPaths:
    return app_paths(tmp_path / "data")


def run(steps) -> list[InstallProgress]:
    return list(steps)


def leftovers(paths: AppPaths) -> list[str]:
    """Hidden folders (staging, removal) left in the models folder."""
    if not paths.models_dir.exists():
        return []
    return sorted(p.name for p in paths.models_dir.iterdir() if p.name.startswith("."))


def test_install_fetches_only_what_the_runtime_needs(hub, paths, tiny_bundle):
    steps = run(install_model(paths, NAME))
    phases = [s.phase for s in steps]
    assert phases[0] == "connecting" and phases[-1] == "installed"
    assert [p for p in dict.fromkeys(phases) if p != "downloading"] == [
        "connecting", "verifying", "testing", "installing", "installed",
    ]  # fmt: skip
    downloads = [s for s in steps if s.phase == "downloading"]
    assert downloads[-1].done_bytes == downloads[-1].total_bytes > 2_000_000
    assert sorted(hub.fetched(REPO)) == sorted(RUNTIME_FILES)  # no decoy, each file once
    result = steps[-1].result
    assert result is not None and not result.already_installed and result.int8 is None
    folder = paths.models_dir / NAME
    assert result.path == folder
    for name in RUNTIME_FILES:
        assert (folder / name).read_bytes() == (tiny_bundle.root / name).read_bytes()
    assert not (folder / "visual" / "fp16").exists() and not (folder / ".cache").exists()
    options = read_options(folder)
    assert options.repo == REPO and options.revision == hub.repos[REPO].commit
    assert not options.int8
    assert leftovers(paths) == []
    assert chosen_model(paths) == "tiny-shapes"  # installing never switches models
    bundle = ModelBundle.load(folder)
    vector = ClipEncoder(bundle, "cpu").encode_text("a red circle")
    assert vector.shape == (tiny_bundle.embed_dim,)


def test_an_installed_model_is_not_downloaded_again(hub, paths):
    run(install_model(paths, NAME))
    before = len(hub.requests)
    steps = run(install_model(paths, NAME))
    assert [s.phase for s in steps] == ["installed"]
    assert steps[-1].result.already_installed
    assert len(hub.requests) == before


def test_a_damaged_install_is_replaced(hub, paths):
    run(install_model(paths, NAME))
    (paths.models_dir / NAME / "textual" / "model.onnx").unlink()
    steps = run(install_model(paths, NAME))
    assert steps[-1].phase == "installed" and not steps[-1].result.already_installed
    assert hub.fetched(REPO).count("textual/model.onnx") == 2
    ModelBundle.load(paths.models_dir / NAME)
    assert leftovers(paths) == []


def test_any_repository_in_the_immich_layout(hub, paths, tiny_bundle):
    hub.add_repo("someone/tiny-copy", tiny_bundle.root)
    steps = run(install_model(paths, "someone/tiny-copy"))
    assert steps[-1].result.name == "tiny-copy"
    assert read_options(paths.models_dir / "tiny-copy").repo == "someone/tiny-copy"


def test_a_dropped_connection_resumes_with_a_range_request(hub, paths, tiny_bundle, monkeypatch):
    from huggingface_hub import constants

    # huggingface_hub writes what it received in chunks of DOWNLOAD_CHUNK_SIZE (10 MB), so
    # with tiny-shapes' small files a drop would restart the file from 0; smaller chunks
    # make the received half land on disk, and the retry must ask for the rest.
    monkeypatch.setattr(constants, "DOWNLOAD_CHUNK_SIZE", 64 * 1024)
    hub.drop_once.add("textual/tokenizer.json")
    steps = run(install_model(paths, NAME))
    assert steps[-1].phase == "installed"
    size = (tiny_bundle.root / "textual" / "tokenizer.json").stat().st_size
    ranges = hub.ranges(REPO)
    assert len(ranges) == 1 and ranges[0][0] == "textual/tokenizer.json"
    resumed_at = int(ranges[0][1].removeprefix("bytes=").removesuffix("-"))
    assert 0 < resumed_at < size
    installed = paths.models_dir / NAME / "textual" / "tokenizer.json"
    assert installed.read_bytes() == (tiny_bundle.root / "textual" / "tokenizer.json").read_bytes()


def test_a_corrupted_download_installs_nothing_and_keeps_the_active_model(hub, paths, tiny_bundle):
    run(import_model(paths, tiny_bundle.root, name="mine"))
    set_active_model(paths, "mine")
    hub.corrupt.add("visual/model.onnx")
    with pytest.raises(ModelError, match=r"visual/model\.onnx .* is damaged .*checksum"):
        run(install_model(paths, NAME))
    assert not (paths.models_dir / NAME).exists()
    assert leftovers(paths) == []
    assert chosen_model(paths) == "mine"


def test_stopping_mid_download_leaves_nothing(hub, paths):
    hub.bytes_per_s = 1_000_000  # tokenizer.json (1.7 MB) takes about two seconds
    cancel = threading.Event()
    seen: list[str] = []
    for step in install_model(paths, NAME, cancel=cancel):
        seen.append(step.phase)
        if step.phase == "downloading" and step.done_bytes > 0:
            cancel.set()
    assert seen[-1] == "cancelled"
    assert "verifying" not in seen
    assert not (paths.models_dir / NAME).exists()
    assert leftovers(paths) == []


def test_a_consumer_that_goes_away_stops_the_download(hub, paths):
    hub.bytes_per_s = 1_000_000
    steps = install_model(paths, NAME)
    for step in steps:
        if step.phase == "downloading":
            break
    steps.close()  # e.g. the GUI window closed: the worker thread is stopped and joined
    assert not (paths.models_dir / NAME).exists()
    assert leftovers(paths) == []
    assert not [t for t in threading.enumerate() if t.name.startswith("photofind-download")]


def test_connection_refused_is_one_plain_sentence(hub, paths, monkeypatch):
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{free_port()}")
    start = time.monotonic()
    with pytest.raises(ModelError) as caught:
        run(install_model(paths, NAME))
    message = str(caught.value)
    assert message.startswith("Cannot reach the model server (127.0.0.1:")
    assert message.endswith("check your internet connection and try again.")
    assert "\n" not in message
    assert time.monotonic() - start < 10  # no retry loop before the first answer
    assert not paths.models_dir.exists()


def test_unknown_names_and_repositories(hub, paths):
    with pytest.raises(ModelError, match="no model named 'ViT-X' in the list"):
        run(install_model(paths, "ViT-X"))
    with pytest.raises(ModelError, match=r"has no model someone/missing; check the name"):
        run(install_model(paths, "someone/missing"))
    with pytest.raises(ModelError, match="cannot be a model name"):
        run(install_model(paths, "someone/.hidden"))


def test_a_repository_without_a_bundle_is_refused(hub, paths):
    hub.add_repo("someone/not-clip", extra={"config.json": b"{}", "model.safetensors": b"x"})
    with pytest.raises(ModelError, match="not a CLIP model in the Immich layout"):
        run(install_model(paths, "someone/not-clip"))
    assert hub.fetched("someone/not-clip") == []


def test_not_enough_space_is_said_before_downloading(hub, paths, monkeypatch):
    monkeypatch.setattr(install_module, "_free_bytes", lambda folder: 1_000_000)
    with pytest.raises(ModelError) as caught:
        run(install_model(paths, NAME))
    assert str(caught.value) == (
        f"Not enough disk space to install {NAME}; free 52 MB and try again."
    )  # 2.9 MB of files + 50 MB headroom - 1 MB free
    assert hub.fetched(REPO) == []


def test_a_full_disk_while_installing_leaves_nothing(hub, paths, monkeypatch):
    def full(staging: Path, target: Path) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(install_module, "_publish", full)
    with pytest.raises(ModelError, match=rf"^Not enough disk space to install {NAME}; free \d+ MB"):
        run(install_model(paths, NAME))
    assert not (paths.models_dir / NAME).exists()
    assert leftovers(paths) == []


def test_int8_is_made_checked_and_recorded(hub, paths):
    steps = run(install_model(paths, NAME, int8=True))
    assert "quantizing" in [s.phase for s in steps]
    # Each step a full install takes comes in the order PHASES gives, and each one that is
    # neither a byte count nor the end has the sentence both front ends show for it.
    taken = list(dict.fromkeys(s.phase for s in steps))
    assert taken == sorted(taken, key=PHASES.index)
    described = [p for p in taken if p not in ("downloading", "installed")]
    assert described == list(INSTALL_STEPS) == [
        "connecting", "verifying", "testing", "quantizing", "installing",
    ]  # fmt: skip
    assert INSTALL_STEPS["connecting"].format(name=NAME) == f"Asking the model server for {NAME}…"
    result = steps[-1].result
    assert result.int8 is not None and result.int8.kept and result.int8_active
    assert result.int8.cosine >= quantize.INT8_MIN_COSINE  # tiny-shapes measures ~0.9999
    bundle = ModelBundle.load(paths.models_dir / NAME)
    assert bundle.visual_model_int8.is_file()
    assert uses_int8(bundle) and read_options(bundle.root).int8_cosine == result.int8.cosine
    encoder = ClipEncoder(bundle, "cpu", int8=uses_int8(bundle))
    assert encoder.model_id == f"{NAME}+int8"


def test_int8_that_disagrees_is_refused(hub, paths, monkeypatch):
    monkeypatch.setattr(quantize, "INT8_MIN_COSINE", 1.01)
    result = run(install_model(paths, NAME, int8=True))[-1].result
    assert result.int8 is not None and not result.int8.kept and not result.int8_active
    bundle = ModelBundle.load(paths.models_dir / NAME)
    assert not bundle.visual_model_int8.exists()
    assert not uses_int8(bundle) and not read_options(bundle.root).int8


def test_int8_can_be_added_to_an_installed_model(hub, paths):
    run(install_model(paths, NAME))
    before = len(hub.requests)
    result = run(install_model(paths, NAME, int8=True))[-1].result
    assert result.already_installed and result.int8.kept
    assert uses_int8(ModelBundle.load(paths.models_dir / NAME))
    assert len(hub.requests) == before
    assert read_options(paths.models_dir / NAME).repo == REPO  # the other notes are kept


def test_verify_catches_what_the_size_check_cannot(hub, paths, tiny_bundle):
    """Same length, one byte changed: snapshot_download accepts it, the hash does not."""
    from photofind.core.models import download

    remote = download.resolve(REPO, endpoint=hub.url)
    hub.corrupt.add("textual/tokenizer.json")
    target = paths.data_dir / "plain"
    download.fetch(remote, target)
    data = (target / "textual" / "tokenizer.json").read_bytes()
    original = (tiny_bundle.root / "textual" / "tokenizer.json").read_bytes()
    assert len(data) == len(original) and data != original
    with pytest.raises(ModelError, match="tokenizer.json .* is damaged"):
        download.verify(remote, target)
    lfs = {f.path: f.sha256 for f in remote.files}
    assert lfs["textual/tokenizer.json"] == hashlib.sha256(original).hexdigest()
    assert lfs["config.json"] is None  # a plain git file: checked by its git blob id


def test_files_stored_in_xet_come_over_plain_http(hub, paths, monkeypatch):
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_DISABLE_XET", False)  # hf_xet is installed here
    hub.xet = True  # as huggingface.co answers now; this hub has no Xet token route
    steps = run(install_model(paths, NAME))
    assert steps[-1].phase == "installed"
    assert sorted(hub.fetched(REPO)) == sorted(RUNTIME_FILES)
    assert not [r.path for r in hub.requests if "xet" in r.path]
    assert constants.HF_HUB_DISABLE_XET is False  # switched off for the download only
