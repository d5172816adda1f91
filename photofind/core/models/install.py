"""Installing a model, from the hub (:func:`install_model`) or from a folder (:func:`import_model`).

Both are generators of :class:`InstallProgress` (the CLI draws a bar from them, the GUI turns
them into signals; install_progress.py names the phases and the sentence for each step) and
take the same steps:

1. Check before starting: a valid name, not installed yet, enough free disk space.
2. Fill a hidden staging folder ``models/.staging-NAME-XXXX``: download and verify the
   files (download.py), or copy them.
3. Test it: :meth:`ModelBundle.load`, then one text and one blank image through both ONNX
   graphs, whose outputs must have the config's ``embed_dim``.
4. With ``int8=True``, make the int8 image encoder and keep it only if it agrees with fp32
   (quantize.py); record the outcome in ``photofind.json``.
5. fsync the files, rename the staging folder to ``models/NAME``, fsync ``models/``.

A half-finished install never appears as a model: until that last rename the files live in
the staging folder, which is deleted on any failure or stop (``cancel``). Installing never
changes the active model; 'photofind model use' does.
"""

from __future__ import annotations

import contextlib
import errno
import math
import os
import shutil
import threading
from collections.abc import Callable, Generator, Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np

from photofind.core.clip.bundle import BUILTIN_MODELS, ModelBundle
from photofind.core.clip.encoder import ClipEncoder
from photofind.core.config import AppPaths
from photofind.core.errors import ModelError
from photofind.core.models import download, quantize
from photofind.core.models.install_progress import ByteMeter, InstallProgress, InstallResult
from photofind.core.models.registry import Registry, load_registry
from photofind.core.models.store import REMOVING_PREFIX as _REMOVING
from photofind.core.models.store import (
    STAGING_PREFIX,
    ModelOptions,
    check_name,
    folder_size,
    fsync_dir,
    new_temp_dir,
    read_options,
    sweep_litter,
    uses_int8,
    write_options,
)

MB = 1_000_000
HEADROOM_BYTES = 50 * MB  # leave the disk a little room: a full disk breaks everything else
INT8_SHARE = 0.3  # an int8 visual tower is about a quarter of the fp32 one, plus graph
POLL_S = 0.1  # how often a download in progress is reported
COPY_CHUNK = 8 << 20

# -- checks ----------------------------------------------------------------------------


def _free_bytes(folder: Path) -> int | None:
    for candidate in (folder, *folder.parents):
        with contextlib.suppress(OSError):
            return shutil.disk_usage(candidate).free
    return None


def _disk_full(name: str, short_bytes: int) -> ModelError:
    return ModelError(
        f"Not enough disk space to install {name}; free {max(1, math.ceil(short_bytes / MB))} MB "
        "and try again."
    )


def _check_space(models_dir: Path, name: str, need_bytes: int) -> None:
    free = _free_bytes(models_dir)
    if free is not None and free < need_bytes + HEADROOM_BYTES:
        raise _disk_full(name, need_bytes + HEADROOM_BYTES - free)


def _disk_full_after(models_dir: Path, name: str, need_bytes: int) -> ModelError:
    """The sentence for a write that failed with ENOSPC (the staging folder already gone)."""
    free = _free_bytes(models_dir) or 0
    short = need_bytes + HEADROOM_BYTES - free
    return _disk_full(name, short if short > 0 else need_bytes)  # a quota: free can mislead


def _check_new_name(name: str) -> str:
    check_name(name)
    if name in BUILTIN_MODELS:
        raise ModelError(f"{name} is the name of the built-in model; choose another name.")
    return name


def _loads(folder: Path, name: str) -> ModelBundle | None:
    try:
        return ModelBundle.load(folder, name=name)
    except ModelError:
        return None


def _target(name_or_repo: str, registry: Registry) -> tuple[str, str]:
    """(model name, hub repository) for a registry name or an ``owner/name`` repository."""
    entry = registry.get(name_or_repo) or registry.by_repo(name_or_repo)
    if entry is not None:
        return entry.name, entry.repo
    owner, slash, repo_name = name_or_repo.partition("/")
    if slash and owner and repo_name and "/" not in repo_name:
        return _check_new_name(repo_name), name_or_repo
    raise ModelError(
        f"There is no model named '{name_or_repo}' in the list; see 'photofind model list', "
        "or give a repository in the Immich layout such as immich-app/ViT-B-32__openai."
    )


# -- the steps they share --------------------------------------------------------------


def check_bundle(folder: Path, name: str) -> ModelBundle:
    """Load a bundle and run one text and one blank image through it; ModelError if it fails."""
    bundle = ModelBundle.load(folder, name=name)
    encoder = ClipEncoder(bundle, "cpu")
    size = bundle.preprocess.size
    try:
        text = encoder.encode_text("a photo")
        image = encoder.encode_image_batch(np.zeros((1, 3, size, size), dtype=np.float32))
    except ModelError:
        raise
    except Exception as exc:  # onnxruntime raises several unrelated types for a bad graph
        reason = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        raise ModelError(
            f"The model {name} cannot be run ({reason}); it is damaged or not a CLIP model in "
            "the Immich layout."
        ) from exc
    finally:
        del encoder  # close the sessions before the folder is renamed (Windows)
    if text.shape != (bundle.embed_dim,) or image.shape != (1, bundle.embed_dim):
        raise ModelError(
            f"The model {name} gives vectors of size {image.shape[-1]} (images) and "
            f"{text.shape[-1]} (text), but its config.json says {bundle.embed_dim}; it is damaged."
        )
    return bundle


def _fsync_tree(folder: Path) -> None:
    for root, dirs, files in os.walk(folder):
        for file_name in files:
            fd = os.open(os.path.join(root, file_name), os.O_RDONLY)
            try:
                os.fsync(fd)
            except OSError as exc:
                if exc.errno not in (errno.EINVAL, errno.EBADF):  # fsync unsupported here
                    raise
            finally:
                os.close(fd)
        for dir_name in dirs:
            fsync_dir(Path(root) / dir_name)
    fsync_dir(folder)


def _publish(staging: Path, target: Path) -> None:
    """Make ``staging`` the model folder ``target`` in one rename (same file system)."""
    _fsync_tree(staging)
    aside = None
    if target.exists():  # a damaged install being replaced: move it aside, then delete it
        aside = new_temp_dir(target.parent, _REMOVING, target.name)
        aside.rmdir()
        os.rename(target, aside)
    try:
        os.rename(staging, target)
    except BaseException:
        if aside is not None:
            os.rename(aside, target)
        raise
    fsync_dir(target.parent)
    if aside is not None:
        shutil.rmtree(aside, ignore_errors=True)


def _finish(
    staging: Path,
    target: Path,
    options: ModelOptions,
    *,
    int8: bool,
    cancel: threading.Event,
) -> Iterator[InstallProgress]:
    """Steps 3-5 on a filled staging folder; the last item is "installed" or "cancelled"."""
    name = target.name
    if cancel.is_set():
        yield InstallProgress("cancelled", name)
        return
    yield InstallProgress("testing", name)
    bundle = check_bundle(staging, name)
    int8_result = None
    if int8:
        int8_result = yield from _quantize(staging, bundle, options, cancel)
        if int8_result is None:
            return
        options = read_options(staging)
    else:
        write_options(staging, options)
    if cancel.is_set():
        yield InstallProgress("cancelled", name)
        return
    yield InstallProgress("installing", name)
    _publish(staging, target)
    result = InstallResult(
        name=name,
        path=target,
        size_bytes=folder_size(target),
        already_installed=False,
        int8=int8_result,
        int8_active=options.int8,
    )
    yield InstallProgress("installed", name, result=result)


def _quantize(
    folder: Path, bundle: ModelBundle, options: ModelOptions, cancel: threading.Event
) -> Generator[InstallProgress, None, quantize.Int8Result | None]:
    """Make the int8 image encoder and record the verdict in ``folder``'s notes. Returns the
    result, or None after yielding "cancelled"."""
    if cancel.is_set():
        yield InstallProgress("cancelled", bundle.name)
        return None
    yield InstallProgress("quantizing", bundle.name)
    result = quantize.make_int8(bundle)
    write_options(folder, replace(options, int8=result.kept, int8_cosine=result.cosine))
    return result


def _add_int8(
    folder: Path, bundle: ModelBundle, cancel: threading.Event
) -> Iterator[InstallProgress]:
    """Quantise an installed model in place (``install NAME --int8`` after a plain install)."""
    name = bundle.name
    int8_result = None
    if not uses_int8(bundle):
        int8_result = yield from _quantize(folder, bundle, read_options(folder), cancel)
        if int8_result is None:
            return
    result = InstallResult(
        name=name,
        path=folder,
        size_bytes=folder_size(folder),
        already_installed=True,
        int8=int8_result,
        int8_active=uses_int8(bundle),
    )
    yield InstallProgress("installed", name, result=result)


def _already_installed(folder: Path, bundle: ModelBundle) -> InstallProgress:
    result = InstallResult(
        name=bundle.name,
        path=folder,
        size_bytes=folder_size(folder),
        already_installed=True,
        int8=None,
        int8_active=uses_int8(bundle),
    )
    return InstallProgress("installed", bundle.name, result=result)


@contextlib.contextmanager
def _staging(models_dir: Path, name: str, need_bytes: int) -> Iterator[Path]:
    """A fresh staging folder, always deleted on the way out (after a publish it is gone
    already); a full disk anywhere inside becomes the plain sentence."""
    staging = new_temp_dir(models_dir, STAGING_PREFIX, name)
    try:
        yield staging
    except OSError as exc:
        if exc.errno == errno.ENOSPC:
            shutil.rmtree(staging, ignore_errors=True)
            raise _disk_full_after(models_dir, name, need_bytes) from exc
        raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)


# -- from the hub ----------------------------------------------------------------------


def _download(
    remote: download.RemoteModel, staging: Path, name: str, cancel: threading.Event
) -> Generator[InstallProgress, None, bool]:
    """Yield "downloading" progress while the files arrive; returns False if stopped."""
    meter = ByteMeter(name, remote.total_bytes)
    stop = threading.Event()
    failure: list[BaseException] = []

    def run() -> None:
        """snapshot_download blocks and reports from its own threads; run here, it lets the
        generator report at a steady pace and stop it on request (``stop`` or ``cancel``,
        seen by the progress hook at the next chunk). It ends with the download."""
        try:
            download.fetch(
                remote,
                staging,
                on_bytes=meter.set,
                should_stop=lambda: stop.is_set() or cancel.is_set(),
            )
        except BaseException as exc:
            failure.append(exc)

    worker = threading.Thread(target=run, name=f"photofind-download-{name}", daemon=True)
    worker.start()
    try:
        yield meter.progress("downloading")
        shown = 0
        while worker.is_alive():
            worker.join(POLL_S)
            if meter.done != shown:
                shown = meter.done
                yield meter.progress("downloading")
    finally:
        stop.set()  # the consumer went away (or the download ended): stop and wait for it
        worker.join()
    if failure:
        if isinstance(failure[0], download.DownloadStopped):
            return False
        raise failure[0]
    return not cancel.is_set()


def install_model(
    paths: AppPaths,
    name_or_repo: str,
    *,
    int8: bool = False,
    cancel: threading.Event | None = None,
    endpoint: str | None = None,
    registry: Registry | None = None,
) -> Iterator[InstallProgress]:
    """Download a model from the hub (``HF_ENDPOINT`` or huggingface.co) and install it.

    ``name_or_repo``: a name from the registry, or an ``owner/name`` repository in the
    Immich layout (installed as ``name``). An installed model is not downloaded again; one
    that no longer loads is replaced. Raises ModelError with a plain sentence."""
    cancel = cancel or threading.Event()
    name, repo = _target(name_or_repo, registry or load_registry())
    models_dir = paths.models_dir
    sweep_litter(models_dir)
    folder = models_dir / name
    existing = _loads(folder, name) if folder.is_dir() else None
    if existing is not None:
        if int8:
            yield from _add_int8(folder, existing, cancel)
        else:
            yield _already_installed(folder, existing)
        return
    yield InstallProgress("connecting", name)
    remote = download.resolve(repo, endpoint=endpoint)
    visual = remote.size_of("visual/model.onnx")
    need = remote.total_bytes + (int(visual * INT8_SHARE) if int8 else 0)
    _check_space(models_dir, name, need)
    with _staging(models_dir, name, need) as staging:
        completed = yield from _download(remote, staging, name, cancel)
        if not completed:
            yield InstallProgress("cancelled", name)
            return
        yield InstallProgress("verifying", name, remote.total_bytes, remote.total_bytes)
        try:
            download.verify(remote, staging, should_stop=cancel.is_set)
        except download.DownloadStopped:
            yield InstallProgress("cancelled", name)
            return
        shutil.rmtree(staging / ".cache", ignore_errors=True)  # huggingface_hub's notes
        options = ModelOptions(repo=remote.repo, revision=remote.revision)
        yield from _finish(staging, folder, options, int8=int8, cancel=cancel)


# -- from a folder ---------------------------------------------------------------------


def _bundle_files(source: Path) -> list[Path]:
    """The runtime files of a bundle folder, relative to it."""
    found = []
    for path in sorted(source.rglob("*")):
        relative = path.relative_to(source)
        if path.is_file() and download.runtime_file(relative.as_posix()):
            found.append(relative)
    return found


def _copy(
    source: Path, target: Path, files: list[Path], meter: ByteMeter, stopped: Callable[[], bool]
) -> Iterator[InstallProgress]:
    done = 0
    for relative in files:
        destination = target / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        with open(source / relative, "rb") as src, open(destination, "wb") as dst:
            while chunk := src.read(COPY_CHUNK):
                if stopped():
                    return
                dst.write(chunk)
                done += len(chunk)
                meter.set(done)
                yield meter.progress("copying")
        shutil.copymode(source / relative, destination)


def import_model(
    paths: AppPaths,
    source: str | os.PathLike[str],
    *,
    name: str | None = None,
    int8: bool = False,
    cancel: threading.Event | None = None,
) -> Iterator[InstallProgress]:
    """Copy a bundle folder (e.g. one made by models/export.py) into the models folder as
    ``name`` (default: the folder's name), after checking it. Only the files the runtime
    reads are copied; a ``model_int8.onnx`` beside them is not (``int8=True`` makes one)."""
    cancel = cancel or threading.Event()
    source = Path(os.path.abspath(os.fspath(source)))
    if not source.is_dir() or not (source / "config.json").is_file():
        raise ModelError(
            f"{source} is not a model folder (it has no config.json); give a folder in the "
            "Immich layout, e.g. one made by models/export.py."
        )
    name = _check_new_name(name or source.name)
    ModelBundle.load(source, name=name)  # a clear sentence about the source, before copying
    models_dir = paths.models_dir
    sweep_litter(models_dir)
    folder = models_dir / name
    if folder.exists():
        raise ModelError(
            f"A model named {name} is already installed; remove it first with "
            f"'photofind model remove {name}'.",
            hint="Or choose another name with --name.",
        )
    files = _bundle_files(source)
    total = sum((source / f).stat().st_size for f in files)
    need = total + (
        int((source / "visual" / "model.onnx").stat().st_size * INT8_SHARE) if int8 else 0
    )
    _check_space(models_dir, name, need)
    with _staging(models_dir, name, need) as staging:
        meter = ByteMeter(name, total)
        yield meter.progress("copying")
        yield from _copy(source, staging, files, meter, cancel.is_set)
        yield from _finish(staging, folder, ModelOptions(), int8=int8, cancel=cancel)
