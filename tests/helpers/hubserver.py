"""A Hugging Face hub on 127.0.0.1, enough of it for ``huggingface_hub.snapshot_download``.

What huggingface_hub 2.x asks, and what this server answers (read from its
``_snapshot_download.py``, ``file_download.py`` and ``hf_api.py``):

* ``GET /api/models/{repo}/revision/{rev}`` (``HfApi.model_info``): JSON with ``id`` and
  ``sha``, the commit that ``rev`` points to (``main`` or the commit itself).
* ``GET /api/models/{repo}/tree/{rev}[/{path}]?recursive=...`` (``list_repo_tree``): a
  JSON list of ``{"type": "file", "path", "size", "oid", "lfs": {"oid", "size",
  "pointerSize"}}`` and ``{"type": "directory", ...}`` entries. ``oid`` is the git blob id
  (of the LFS pointer, for an LFS file); ``lfs.oid`` is the content's sha256. One page.
* ``HEAD /{repo}/resolve/{rev}/{path}`` (``get_hf_file_metadata``): ``X-Repo-Commit`` (it
  refuses a response without), ``ETag`` (the git blob id, quoted), and for LFS files
  ``X-Linked-Etag`` (the sha256, which it prefers to ETag) and ``X-Linked-Size``;
  ``Content-Length`` otherwise gives the size. No redirect is needed.
* ``GET`` of the same URL: the bytes, with ``Range: bytes=N-`` answered by 206 and
  ``Content-Range``: after a dropped connection ``http_get`` retries from where its file
  ended. (It reads in 10 MB chunks, so a file shorter than that is fetched again whole.)
* Errors: 404 with ``X-Error-Code: RepoNotFound`` / ``RevisionNotFound`` /
  ``EntryNotFound``, which ``hf_raise_for_status`` turns into its typed errors.

Knobs for the tests: ``drop_once`` (paths whose first GET sends half the bytes, then closes
the connection), ``corrupt`` (paths served with one byte changed, same length),
``bytes_per_s`` (throttle file bodies), ``xet`` (advertise LFS files as Xet-stored, with the
``X-Xet-Hash`` and ``X-Xet-Refresh-Route`` headers and ``xetHash`` in the tree, but no Xet
token route: a client must fall back to plain HTTP). ``requests`` logs every request.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

LFS_SUFFIXES = (".onnx", ".onnx_data", ".rknn", ".armnn")
LFS_MIN_BYTES = 1 << 20  # a JSON file at least this big is stored in LFS too (tokenizer.json)
CHUNK = 64 * 1024


def git_blob_oid(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


@dataclass
class HubFile:
    path: str
    data: bytes
    lfs: bool

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @property
    def pointer(self) -> bytes:
        return (
            f"version https://git-lfs.github.com/spec/v1\noid sha256:{self.sha256}\n"
            f"size {len(self.data)}\n"
        ).encode()

    @property
    def git_oid(self) -> str:
        return git_blob_oid(self.pointer if self.lfs else self.data)


@dataclass
class HubRepo:
    repo_id: str
    files: dict[str, HubFile]
    commit: str


@dataclass
class Request:
    method: str
    path: str  # without the query
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-case names
    status: int = 0


@dataclass
class FakeHub:
    repos: dict[str, HubRepo] = field(default_factory=dict)
    requests: list[Request] = field(default_factory=list)
    drop_once: set[str] = field(default_factory=set)
    corrupt: set[str] = field(default_factory=set)
    bytes_per_s: float | None = None
    xet: bool = False  # advertise LFS files as stored in Xet, as huggingface.co does now

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- content ---------------------------------------------------------------------

    def add_repo(
        self, repo_id: str, folder: Path | None = None, extra: dict[str, bytes] | None = None
    ) -> HubRepo:
        """Serve the files of ``folder`` (and ``extra``: path -> bytes) as ``repo_id``."""
        contents: dict[str, bytes] = {}
        if folder is not None:
            for path in sorted(Path(folder).rglob("*")):
                if path.is_file():
                    contents[path.relative_to(folder).as_posix()] = path.read_bytes()
        contents.update(extra or {})
        files = {
            p: HubFile(p, data, p.endswith(LFS_SUFFIXES) or len(data) >= LFS_MIN_BYTES)
            for p, data in contents.items()
        }
        manifest = "".join(f"{p}:{f.git_oid}\n" for p, f in sorted(files.items()))
        commit = hashlib.sha1(f"{repo_id}\n{manifest}".encode()).hexdigest()
        repo = HubRepo(repo_id, files, commit)
        self.repos[repo_id] = repo
        return repo

    # -- the log ---------------------------------------------------------------------

    def log(self, request: Request) -> None:
        with self._lock:
            self.requests.append(request)

    def fetched(self, repo_id: str, method: str = "GET") -> list[str]:
        """Repository paths requested with ``method`` at /resolve/, in order."""
        prefix = f"/{repo_id}/resolve/"
        with self._lock:
            found = [
                r.path for r in self.requests if r.method == method and r.path.startswith(prefix)
            ]
        return [unquote(p[len(prefix) :].split("/", 1)[1]) for p in found]

    def ranges(self, repo_id: str) -> list[tuple[str, str]]:
        """(path, Range header) of the GETs that asked for part of a file."""
        prefix = f"/{repo_id}/resolve/"
        with self._lock:
            return [
                (unquote(r.path[len(prefix) :].split("/", 1)[1]), r.headers["range"])
                for r in self.requests
                if r.method == "GET" and r.path.startswith(prefix) and "range" in r.headers
            ]

    # -- serving ---------------------------------------------------------------------

    @property
    def url(self) -> str:
        assert self._server is not None, "start() the hub first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeHub:
        hub = self

        class Handler(_Handler):
            pass

        Handler.hub = hub
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeHub:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


_API = re.compile(
    r"^/api/models/(?P<repo>[^/]+/[^/]+)(?:/(?P<kind>revision|tree)/(?P<rev>[^/]+)(?P<sub>/.*)?)?$"
)
_RESOLVE = re.compile(r"^/(?P<repo>[^/]+/[^/]+)/resolve/(?P<rev>[^/]+)/(?P<path>.+)$")
_RANGE = re.compile(r"^bytes=(\d+)-(\d*)$")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    hub: FakeHub

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass

    # -- plumbing --------------------------------------------------------------------

    def _start(self) -> Request:
        parts = urlsplit(self.path)
        request = Request(
            method=self.command,
            path=parts.path,
            query=parse_qs(parts.query),
            headers={k.lower(): v for k, v in self.headers.items()},
        )
        self.hub.log(request)
        return request

    def _send(self, request: Request, status: int, body: bytes, headers: dict[str, str]) -> None:
        request.status = status
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, request: Request, data: object, status: int = 200, **headers: str) -> None:
        self._send(
            request,
            status,
            json.dumps(data).encode(),
            {"Content-Type": "application/json", **headers},
        )

    def _error(self, request: Request, code: str, message: str, **headers: str) -> None:
        self._json(
            request,
            {"error": message},
            404,
            **{"X-Error-Code": code, "X-Error-Message": message},
            **headers,
        )

    def _repo(self, request: Request, repo_id: str, rev: str) -> HubRepo | None:
        repo = self.hub.repos.get(repo_id)
        if repo is None:
            self._error(request, "RepoNotFound", "Repository not found")
            return None
        if unquote(rev) not in ("main", repo.commit):
            self._error(request, "RevisionNotFound", "Invalid rev id")
            return None
        return repo

    # -- routes ----------------------------------------------------------------------

    def do_HEAD(self) -> None:
        self.do_GET()

    def do_GET(self) -> None:
        request = self._start()
        api = _API.match(request.path)
        if api is not None and self.command == "GET":
            self._api(request, api)
            return
        resolve = _RESOLVE.match(request.path)
        if resolve is not None:
            self._resolve(request, resolve)
            return
        self._json(request, {"error": "not found"}, 404)

    def _api(self, request: Request, match: re.Match[str]) -> None:
        repo = self._repo(request, match["repo"], match["rev"] or "main")
        if repo is None:
            return
        if match["kind"] in (None, "revision"):
            siblings = [{"rfilename": p} for p in sorted(repo.files)]
            self._json(
                request,
                {"id": repo.repo_id, "sha": repo.commit, "siblings": siblings, "private": False},
            )
            return
        base = unquote(match["sub"] or "").strip("/")
        recursive = request.query.get("recursive", ["False"])[0].lower() == "true"
        self._json(request, _tree(repo, base, recursive, xet=self.hub.xet))

    def _resolve(self, request: Request, match: re.Match[str]) -> None:
        repo = self._repo(request, match["repo"], match["rev"])
        if repo is None:
            return
        path = unquote(match["path"])
        file = repo.files.get(path)
        if file is None:
            self._error(
                request, "EntryNotFound", "Entry not found", **{"X-Repo-Commit": repo.commit}
            )
            return
        headers = {
            "X-Repo-Commit": repo.commit,
            "ETag": f'"{file.git_oid}"',
            "Accept-Ranges": "bytes",
            "Content-Type": "application/octet-stream",
        }
        if file.lfs:
            headers["X-Linked-Etag"] = f'"{file.sha256}"'
            headers["X-Linked-Size"] = str(len(file.data))
            if self.hub.xet:  # a Xet client would ask this route for a token, then the CAS
                headers["X-Xet-Hash"] = file.sha256
                headers["X-Xet-Refresh-Route"] = (
                    f"/api/models/{repo.repo_id}/xet-read-token/{repo.commit}"
                )
        data = file.data
        if path in self.hub.corrupt:
            data = bytes([data[0] ^ 0xFF]) + data[1:]
        start, status = 0, 200
        wanted = _RANGE.match(request.headers.get("range", ""))
        if wanted is not None and self.command == "GET":
            start = int(wanted[1])
            end = int(wanted[2]) if wanted[2] else len(data) - 1
            headers["Content-Range"] = f"bytes {start}-{end}/{len(data)}"
            data, status = data[start : end + 1], 206
        request.status = status
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command == "HEAD":
            return
        drop = False
        with self.hub._lock:
            if path in self.hub.drop_once:
                self.hub.drop_once.discard(path)
                drop = True
        body = data[: len(data) // 2] if drop else data
        self._stream(body)
        if drop:
            self.wfile.flush()
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)

    def _stream(self, body: bytes) -> None:
        rate = self.hub.bytes_per_s
        try:
            for offset in range(0, len(body), CHUNK):
                self.wfile.write(body[offset : offset + CHUNK])
                if rate:
                    self.wfile.flush()
                    time.sleep(CHUNK / rate)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (a stopped install)
            self.close_connection = True


def _tree(repo: HubRepo, base: str, recursive: bool, *, xet: bool = False) -> list[dict]:
    entries: list[dict] = []
    folders: set[str] = set()
    prefix = f"{base}/" if base else ""
    for path, file in sorted(repo.files.items()):
        if not path.startswith(prefix):
            continue
        rest = path[len(prefix) :]
        parts = rest.split("/")
        for depth in range(1, len(parts)):
            if recursive or depth == 1:
                folders.add(prefix + "/".join(parts[:depth]))
        if len(parts) > 1 and not recursive:
            continue
        entry = {"type": "file", "oid": file.git_oid, "size": len(file.data), "path": path}
        if file.lfs:
            entry["lfs"] = {
                "oid": file.sha256,
                "size": len(file.data),
                "pointerSize": len(file.pointer),
            }
            if xet:
                entry["xetHash"] = file.sha256
        entries.append(entry)
    for folder in sorted(folders):
        entries.append(
            {
                "type": "directory",
                "oid": hashlib.sha1(folder.encode()).hexdigest(),
                "size": 0,
                "path": folder,
            }
        )
    return entries


def free_port() -> int:
    """A port nothing listens on (bound, then closed): connecting to it is refused."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def hub_environment(base: dict[str, str], hf_home: Path, endpoint: str) -> dict[str, str]:
    """An environment for a photofind process that talks to ``endpoint`` and nothing else:
    its own HF_HOME (no user cache, no token), no offline mode, no telemetry, no Xet."""
    env = {k: v for k, v in base.items() if not k.startswith(("PHOTOFIND_", "HF_", "HUGGING"))}
    env.update(
        HF_ENDPOINT=endpoint,
        HF_HOME=os.fspath(hf_home),
        HF_HUB_DISABLE_TELEMETRY="1",
        HF_HUB_DISABLE_XET="1",
        HF_HUB_DISABLE_PROGRESS_BARS="1",
        HF_HUB_ETAG_TIMEOUT="5",
        HF_HUB_DOWNLOAD_TIMEOUT="5",
    )
    env.pop("HF_HUB_OFFLINE", None)
    return env


def isolate_hub(monkeypatch, hf_home: Path, endpoint: str) -> None:
    """The same as hub_environment for this process: huggingface_hub reads most settings
    into ``constants`` when first imported, so those are patched as well. Not ENDPOINT:
    ``hf_hub_url`` swaps an ``endpoint=`` argument in for the import-time ENDPOINT prefix of
    its URL template, so patching ENDPOINT alone would send requests to huggingface.co;
    photofind passes the endpoint explicitly instead."""
    from huggingface_hub import constants

    for key in list(os.environ):
        if key.startswith(("HF_", "HUGGING")):
            monkeypatch.delenv(key)
    for key, value in hub_environment({}, hf_home, endpoint).items():
        monkeypatch.setenv(key, value)
    monkeypatch.setattr(constants, "HF_HOME", os.fspath(hf_home))
    monkeypatch.setattr(constants, "HF_HUB_CACHE", os.fspath(hf_home / "hub"))
    monkeypatch.setattr(constants, "HF_TOKEN_PATH", os.fspath(hf_home / "token"))
    monkeypatch.setattr(constants, "HF_STORED_TOKENS_PATH", os.fspath(hf_home / "stored_tokens"))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(constants, "HF_HUB_DISABLE_XET", True)
    monkeypatch.setattr(constants, "HF_HUB_DISABLE_TELEMETRY", True)
    monkeypatch.setattr(constants, "HF_HUB_ETAG_TIMEOUT", 5)
    monkeypatch.setattr(constants, "HF_HUB_DOWNLOAD_TIMEOUT", 5)
