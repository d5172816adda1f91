"""Fetching a model bundle from a Hugging Face hub (huggingface.co or ``HF_ENDPOINT``).

Three steps, each its own function so the caller can report progress between them:

1. :func:`resolve` asks the hub for the commit of the repository's main branch and the
   files at that commit (sizes, git ids, and the sha256 of files stored in LFS). Only the
   files the runtime reads are kept (:func:`runtime_file`): the fp32 towers, their
   external weight files, the preprocessing and tokenizer JSON. The fp16/rknpu/armnn
   variants in the Immich repositories are never fetched.
2. :func:`fetch` runs ``huggingface_hub.snapshot_download`` for exactly those files at that
   commit into a local folder. It retries a dropped connection with an HTTP Range request
   (resume within the download) and checks each file's size. Progress comes through its
   ``tqdm_class`` hook, which is also where a stop request is honoured. Xet transfers
   are switched off for the call: the hub serves every file over plain HTTP as well, and
   only that path is known to pass exceptions from the hook back (the Xet client reports
   progress from native threads) and is exercised by the tests.
3. :func:`verify` hashes every file against the hub's listing (sha256 for LFS files, the
   git blob id otherwise), because ``snapshot_download`` checks sizes, not contents.

Errors leave as :class:`~photofind.core.errors.ModelError` with one plain sentence
(:func:`plain_error`); ``huggingface_hub`` is imported only when a download starts.
"""

from __future__ import annotations

import hashlib
import importlib
import os
import re
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from photofind import __version__
from photofind.core.errors import ModelError

RUNTIME_FILES = (
    "config.json",
    "visual/model.onnx",
    "visual/preprocess_cfg.json",
    "textual/model.onnx",
    "textual/tokenizer.json",
    "textual/tokenizer_config.json",
)
REQUIRED_FILES = frozenset(RUNTIME_FILES) - {"textual/tokenizer_config.json"}
EXTERNAL_DATA_SUFFIXES = (".onnx_data", ".onnx.data")  # weights stored beside a >2 GB graph
TOWERS = ("visual", "textual")
DEFAULT_ENDPOINT = "https://huggingface.co"
PARALLEL_FILES = 4  # a bundle is 5-8 files; more connections than that gain nothing
HASH_CHUNK = 1 << 20
_SHA256 = re.compile(r"[0-9a-f]{64}")
_XET_SWITCH = threading.Lock()  # one download at a time flips huggingface_hub's Xet setting


class DownloadStopped(Exception):
    """Raised inside snapshot_download's threads by the progress hook when asked to stop."""


@dataclass(frozen=True)
class RemoteFile:
    path: str  # in the repository, '/'-separated
    size: int
    git_oid: str  # the git blob id (of the LFS pointer, for LFS files)
    sha256: str | None  # the content's sha256, for files stored in LFS


@dataclass(frozen=True)
class RemoteModel:
    repo: str
    revision: str  # the commit the files were listed at; the download is pinned to it
    endpoint: str
    files: tuple[RemoteFile, ...]

    @property
    def total_bytes(self) -> int:
        return sum(f.size for f in self.files)

    def size_of(self, path: str) -> int:
        return next((f.size for f in self.files if f.path == path), 0)


def runtime_file(path: str) -> bool:
    """Whether the runtime reads this repository file (see RUNTIME_FILES)."""
    if path in RUNTIME_FILES:
        return True
    tower, _, name = path.partition("/")
    return tower in TOWERS and "/" not in name and name.endswith(EXTERNAL_DATA_SUFFIXES)


def hub_endpoint(endpoint: str | None = None) -> str:
    """The hub to talk to: the argument, else ``HF_ENDPOINT`` (read now, not at import)."""
    return (endpoint or os.environ.get("HF_ENDPOINT") or DEFAULT_ENDPOINT).rstrip("/")


# -- 1. what to download ---------------------------------------------------------------


def resolve(repo: str, *, endpoint: str | None = None, revision: str = "main") -> RemoteModel:
    """The runtime files of ``repo`` at the current commit of ``revision``."""
    from huggingface_hub import HfApi
    from huggingface_hub.hf_api import RepoFile

    endpoint = hub_endpoint(endpoint)
    api = HfApi(endpoint=endpoint, library_name="photofind", library_version=__version__)
    try:
        info = api.model_info(repo, revision=revision)
        if not info.sha:
            raise ModelError(f"The model server did not say which version of {repo} to download.")
        entries = list(api.list_repo_tree(repo, recursive=True, revision=info.sha))
    except Exception as exc:
        raise plain_error(exc, repo=repo, endpoint=endpoint) from exc
    files = tuple(
        RemoteFile(
            path=e.path,
            size=int(e.size),
            git_oid=e.blob_id,
            sha256=e.lfs.sha256 if e.lfs is not None else None,
        )
        for e in entries
        if isinstance(e, RepoFile) and runtime_file(e.path)
    )
    missing = sorted(REQUIRED_FILES - {f.path for f in files})
    if missing:
        raise ModelError(
            f"{repo} has no {missing[0]}, so it is not a CLIP model in the Immich layout; "
            "choose one from 'photofind model list'."
        )
    return RemoteModel(repo=repo, revision=info.sha, endpoint=endpoint, files=files)


# -- 2. the download -------------------------------------------------------------------


def _hook_class(report: Callable[[int], None], should_stop: Callable[[], bool]) -> type:
    """A tqdm class for snapshot_download that draws nothing: it passes byte counts on and
    raises DownloadStopped from inside the download threads when asked to stop.

    snapshot_download makes several bars from it: bytes received, bytes written (both with
    unit "B") and files done. The byte bars count the same bytes for a plain HTTP download,
    so the largest count is the progress."""
    from tqdm import tqdm

    lock = threading.Lock()
    counts: dict[int, int] = {}

    class _Hook(tqdm):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs["disable"] = True
            super().__init__(*args, **kwargs)
            self._bytes = kwargs.get("unit") == "B"
            self._seen = int(kwargs.get("initial") or 0)

        def update(self, n: float | None = 1) -> bool | None:
            if should_stop():
                raise DownloadStopped
            if self._bytes and n:
                with lock:
                    self._seen += int(n)
                    counts[id(self)] = self._seen
                    done = max(counts.values())
                report(done)
            return None

        @property
        def format_dict(self) -> dict[str, Any]:  # read by huggingface_hub for a rate postfix
            return {"n": self._seen, "total": self.total, "rate": None}

    return _Hook


def fetch(
    remote: RemoteModel,
    local_dir: Path,
    *,
    on_bytes: Callable[[int], None] = lambda done: None,
    should_stop: Callable[[], bool] = lambda: False,
) -> None:
    """Download the files of ``remote`` into ``local_dir`` (which huggingface_hub also uses
    for its notes, in ``.cache/huggingface``). Raises DownloadStopped when stopped, OSError
    for local trouble (a full disk), ModelError for everything the network does."""
    from huggingface_hub import constants, snapshot_download

    with _XET_SWITCH:
        xet_was_off = constants.HF_HUB_DISABLE_XET
        constants.HF_HUB_DISABLE_XET = True  # plain HTTP: see the module docstring
        try:
            _snapshot(snapshot_download, remote, local_dir, on_bytes, should_stop)
        finally:
            constants.HF_HUB_DISABLE_XET = xet_was_off


def _snapshot(
    snapshot_download: Callable[..., str],
    remote: RemoteModel,
    local_dir: Path,
    on_bytes: Callable[[int], None],
    should_stop: Callable[[], bool],
) -> None:
    try:
        snapshot_download(
            remote.repo,
            revision=remote.revision,
            local_dir=local_dir,
            allow_patterns=[f.path for f in remote.files],
            endpoint=remote.endpoint,
            library_name="photofind",
            library_version=__version__,
            max_workers=PARALLEL_FILES,
            tqdm_class=_hook_class(on_bytes, should_stop),
        )
    except DownloadStopped:
        raise
    except Exception as exc:
        if _chain(exc, DownloadStopped) is not None:
            raise DownloadStopped from exc
        local = _local_os_error(exc)
        if local is not None:
            raise local from exc
        raise plain_error(exc, repo=remote.repo, endpoint=remote.endpoint) from exc


# -- 3. checking what arrived ----------------------------------------------------------


def _digest(path: Path, algorithm: str, prefix: bytes = b"") -> str:
    digest = hashlib.new(algorithm, prefix, usedforsecurity=False)
    with open(path, "rb") as fh:
        while chunk := fh.read(HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def verify(
    remote: RemoteModel, local_dir: Path, *, should_stop: Callable[[], bool] = lambda: False
) -> None:
    """Raise ModelError unless every file has the size and hash the hub listed: the sha256
    of an LFS file, else the git blob id (sha1 of ``b"blob <size>\\0" + content``)."""
    for file in remote.files:
        if should_stop():
            raise DownloadStopped
        path = local_dir.joinpath(*file.path.split("/"))
        if not path.is_file() or path.stat().st_size != file.size:
            intact = False
        elif file.sha256 is not None and _SHA256.fullmatch(file.sha256):
            intact = _digest(path, "sha256") == file.sha256
        else:
            intact = _digest(path, "sha1", f"blob {file.size}\0".encode()) == file.git_oid
        if not intact:
            raise ModelError(
                f"The downloaded file {file.path} of {remote.repo} is damaged (its checksum does "
                "not match the server's); nothing was installed, run the install again."
            )


# -- errors ----------------------------------------------------------------------------


def _chain(
    exc: BaseException,
    match: type[BaseException] | tuple[type[BaseException], ...] | Callable[[BaseException], bool],
) -> BaseException | None:
    """The first exception in ``exc``'s cause/context chain that is of type ``match`` (or
    for which ``match`` returns True)."""
    test = match if not isinstance(match, type | tuple) else (lambda e: isinstance(e, match))
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if test(current):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def _transport_errors() -> tuple[type[BaseException], ...]:
    """Network failures: the socket's own, and those of the HTTP client huggingface_hub uses
    (httpx2 in 2.x, httpx in 1.x), looked up rather than imported by name."""
    kinds: list[type[BaseException]] = [ConnectionError, TimeoutError]
    for module in ("httpx2", "httpx"):
        try:
            transport = getattr(importlib.import_module(module), "TransportError", None)
        except ImportError:
            continue
        if isinstance(transport, type):
            kinds.append(transport)
    return tuple(kinds)


def _local_os_error(exc: BaseException) -> OSError | None:
    """A local file-system failure (disk full, permissions) inside a download, if that is
    what ``exc`` is: those are the caller's to explain, not the network's. Anything with a
    network error in its chain is the network's (socket errors are OSErrors too, and so are
    the hub library's own errors, which have no errno)."""
    network = (*_transport_errors(), socket.gaierror, socket.herror)
    if _chain(exc, network) is not None:
        return None
    found = _chain(exc, lambda e: isinstance(e, OSError) and getattr(e, "errno", None) is not None)
    return found if isinstance(found, OSError) else None


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    text = re.sub(r"^\[Errno -?\d+\]\s*", "", text)
    return text[:120]


def plain_error(exc: BaseException, *, repo: str, endpoint: str) -> ModelError:
    """One sentence for what went wrong while talking to the hub."""
    from huggingface_hub import errors as hf

    if isinstance(exc, ModelError):
        return exc
    host = urlsplit(endpoint).netloc or endpoint
    for kind, sentence in (
        (
            hf.OfflineModeIsEnabled,
            "Downloads are switched off (HF_HUB_OFFLINE is set); unset it and try again.",
        ),
        (
            hf.GatedRepoError,
            f"{repo} asks you to accept its terms on the model's page and log in "
            "('hf auth login') before downloading; do that and try again.",
        ),
        (
            hf.RevisionNotFoundError,
            f"The model server has no such version of {repo}; check the name and try again.",
        ),
        (
            hf.RepositoryNotFoundError,
            f"The model server ({host}) has no model {repo}; check the name with "
            "'photofind model list'.",
        ),
        (
            hf.RemoteEntryNotFoundError,
            f"A file of {repo} disappeared from the model server during the download; "
            "try again later.",
        ),
    ):
        if _chain(exc, kind) is not None:
            return ModelError(sentence)
    network = _chain(exc, _transport_errors())
    if network is not None:
        return ModelError(
            f"Cannot reach the model server ({host}: {_reason(network)}); check your internet "
            "connection and try again."
        )
    http = _chain(exc, hf.HfHubHTTPError)
    if http is not None:
        status = getattr(getattr(http, "response", None), "status_code", None)
        return ModelError(
            f"The model server ({host}) answered with an error"
            f"{f' (HTTP {status})' if status else ''}; try again later."
        )
    if "Consistency check failed" in str(exc):  # huggingface_hub's size check after a download
        return ModelError(
            f"A file of {repo} arrived incomplete; nothing was installed, run the install again."
        )
    if _chain(exc, hf.LocalEntryNotFoundError) is not None:
        return ModelError(
            f"Cannot reach the model server ({host}); check your internet connection and try again."
        )
    return ModelError(f"The download of {repo} failed ({_reason(exc)}); try again.")
