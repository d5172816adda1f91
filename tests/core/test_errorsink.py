"""The error sink both front ends share: where its one log file goes, and what a report says."""

from __future__ import annotations

import logging
import threading

import pytest

from photofind import __version__
from photofind.core import errorsink


@pytest.fixture
def sink():
    yield errorsink
    errorsink.uninstall()


def test_installing_again_keeps_the_first_log_file(tmp_path, sink):
    first = sink.install(tmp_path / "logs")
    assert first == tmp_path / "logs" / errorsink.LOG_FILE
    assert sink.install(tmp_path / "elsewhere") == first  # the CLI started it, the window joins
    assert not (tmp_path / "elsewhere").exists()
    sink.uninstall()
    assert not sink.installed()
    assert sink.install(tmp_path / "elsewhere") == tmp_path / "elsewhere" / errorsink.LOG_FILE


def test_a_log_folder_that_cannot_be_made_falls_back(tmp_path, sink):
    (tmp_path / "logs").write_text("a file where the folder would be\n")
    fallback = tmp_path / "tmp"
    assert sink.install(tmp_path / "logs", fallback_dir=fallback) == fallback / sink.LOG_FILE
    sink.report(RuntimeError("boom"))
    assert "RuntimeError: boom" in (fallback / sink.LOG_FILE).read_text()


def test_without_any_folder_nothing_is_printed_when_asked_not_to(tmp_path, sink, capfd):
    (tmp_path / "logs").write_text("")
    assert sink.install(tmp_path / "logs", to_stderr=False) is None
    sink.report(RuntimeError("boom"))
    assert capfd.readouterr().err == ""


def test_a_report_logs_version_context_and_traceback_on_the_reports_logger(tmp_path, sink):
    log_file = sink.install(tmp_path / "logs")
    records: list[logging.LogRecord] = []
    catcher = logging.Handler()
    catcher.emit = records.append  # type: ignore[method-assign]
    logging.getLogger().addHandler(catcher)
    try:
        try:
            raise ValueError("bad value")
        except ValueError as exc:
            report = sink.report(exc, context="argv ['photofind', 'status']")
    finally:
        logging.getLogger().removeHandler(catcher)
    assert report.summary == "ValueError: bad value"
    assert [r.name for r in records] == [sink.REPORTS_LOGGER]
    text = log_file.read_text()
    assert f"photofind {__version__}, argv ['photofind', 'status']" in text
    assert "Traceback" in text and "ValueError: bad value" in text


def test_a_thread_error_reaches_subscribers_and_the_log(tmp_path, sink):
    log_file = sink.install(tmp_path / "logs")
    reports: list[errorsink.ErrorReport] = []
    unsubscribe = sink.subscribe(reports.append)

    def fail() -> None:
        raise ValueError("broken in a thread")

    try:
        thread = threading.Thread(target=fail, name="worker-y")
        thread.start()
        thread.join()
    finally:
        unsubscribe()
    assert [(r.summary, r.thread) for r in reports] == [
        ("ValueError: broken in a thread", "worker-y")
    ]
    assert "worker-y" in log_file.read_text()
