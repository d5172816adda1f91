"""A folder that cannot be a library folder (a system folder such as /proc, /sys or /dev)
is refused with its sentence in a message box over the window, not only in the status bar,
and the library is unchanged."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.mark.parametrize("folder", ["/proc", "/sys/kernel", "/dev"])
def test_a_system_folder_is_refused_in_a_message_box(qtbot, make_window, folder):
    window = make_window()
    window.session.model_chosen = True  # the model-first question is another test's
    window.add_folder(Path(folder))
    qtbot.waitUntil(lambda: window.library_actions.refusal is not None, timeout=10_000)
    box = window.library_actions.refusal
    assert box.isVisible() and box.windowTitle() == "Folder not added"
    assert box.text().startswith(folder) and "system folder" in box.text()
    assert "choose a folder of photos" in box.text()
    assert window.session.folders == []
    box.accept()
    qtbot.waitUntil(lambda: window.library_actions.refusal is None, timeout=5_000)
