"""The places beside the grid: All photos, the library folders as a tree with their photo
counts, and Collections (a section that :mod:`photofind.gui.collections_panel` fills).

Choosing a folder scopes what the window shows, browsing and searching alike; All photos
lifts the scope. A library folder that is offline or cannot be read says so in its row
(and why, in its tooltip), so its photos missing from the grid is never a mystery.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont, QPalette
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTreeWidget, QTreeWidgetItem

from photofind.core.browse import FolderNode, FolderTree
from photofind.core.library_folders import OFFLINE, OK

PATH_ROLE = Qt.ItemDataRole.UserRole + 1
COLLECTION_ROLE = Qt.ItemDataRole.UserRole + 2  # a collection row's name (collections_panel)
ALL = "all"  # the PATH_ROLE of the All photos row
STATE_WORDS = {OFFLINE: "offline"}


def node_label(node: FolderNode) -> str:
    if node.state == OK:
        return node.name
    return f"{node.name} ({STATE_WORDS.get(node.state, 'cannot be read')})"


class Sidebar(QTreeWidget):
    scope_chosen = Signal(object)  # Path, or None for all photos
    collection_chosen = Signal(object)  # a collection's name, or None once a place is chosen

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("sidebar")
        self.setColumnCount(2)
        self.setHeaderHidden(True)
        self.setRootIsDecorated(True)
        self.setUniformRowHeights(True)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setAccessibleName("Places")
        header = self.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.scope: Path | None = None
        self.collection: str | None = None  # a collection's members across the whole library
        self.all_item = QTreeWidgetItem(self, ["All photos", ""])
        self.all_item.setData(0, PATH_ROLE, ALL)
        self.folders_item = self._section("Folders")
        self.collections_item = self._section("Collections")
        self.setCurrentItem(self.all_item)
        self.currentItemChanged.connect(self._on_current)

    def _section(self, title: str) -> QTreeWidgetItem:
        item = QTreeWidgetItem(self, [title, ""])
        font = QFont(self.font())
        font.setBold(True)
        item.setFont(0, font)
        item.setFlags(Qt.ItemFlag.ItemIsEnabled)  # a heading: not a place to choose
        item.setExpanded(True)
        return item

    def show_tree(self, tree: FolderTree) -> None:
        """The folders as the catalog has them now; the chosen one stays chosen while it is
        there, else the scope goes back to All photos."""
        self.blockSignals(True)
        expanded = {item.data(0, PATH_ROLE) for item in self._folder_items() if item.isExpanded()}
        self.all_item.setText(1, f"{tree.photos:,}")
        self.folders_item.takeChildren()
        chosen = None
        for root in tree.roots:
            item = self._add(self.folders_item, root, expanded)
            chosen = chosen or self._find(item, self.scope)
        self.folders_item.setExpanded(True)
        self.folders_item.setHidden(not tree.roots)
        self.blockSignals(False)
        if self.scope is not None and chosen is None:
            self.choose(None)
        else:
            self.blockSignals(True)
            if self.collection is None:  # a chosen collection stays chosen
                self.setCurrentItem(chosen or self.all_item)
            self.blockSignals(False)

    def _add(self, parent: QTreeWidgetItem, node: FolderNode, expanded: set) -> QTreeWidgetItem:
        item = QTreeWidgetItem(parent, [node_label(node), f"{node.photos:,}"])
        item.setData(0, PATH_ROLE, str(node.path))
        item.setData(1, Qt.ItemDataRole.TextAlignmentRole, Qt.AlignmentFlag.AlignRight)
        tip = str(node.path)
        if node.state != OK:
            tip += f"\n{node.reason or 'It cannot be read now.'}"
            item.setForeground(0, self.palette().brush(QPalette.ColorGroup.Disabled,
                                                       QPalette.ColorRole.Text))  # fmt: skip
        item.setToolTip(0, tip)
        for child in node.children:
            self._add(item, child, expanded)
        item.setExpanded(str(node.path) in expanded or parent is self.folders_item)
        return item

    def _find(self, item: QTreeWidgetItem, folder: Path | None) -> QTreeWidgetItem | None:
        if folder is None:
            return None
        if item.data(0, PATH_ROLE) == str(folder):
            return item
        for i in range(item.childCount()):
            if found := self._find(item.child(i), folder):
                return found
        return None

    def _folder_items(self) -> list[QTreeWidgetItem]:
        found, stack = (
            [],
            [self.folders_item.child(i) for i in range(self.folders_item.childCount())],
        )
        while stack:
            item = stack.pop()
            found.append(item)
            stack.extend(item.child(i) for i in range(item.childCount()))
        return found

    def folder_item(self, folder: Path) -> QTreeWidgetItem | None:
        for i in range(self.folders_item.childCount()):
            if found := self._find(self.folders_item.child(i), folder):
                return found
        return None

    def choose(self, folder: Path | None) -> None:
        item = self.all_item if folder is None else self.folder_item(folder)
        if item is not None:
            self.setCurrentItem(item)
        if folder != self.scope:
            self.scope = folder
            self.scope_chosen.emit(folder)

    def _on_current(self, item: QTreeWidgetItem | None, _previous) -> None:
        if item is None:
            return
        name = item.data(0, COLLECTION_ROLE)
        if name is not None:
            self.collection = name
            if self.scope is not None:
                self.scope = None  # a collection is shown whole, not one folder's part of it
                self.scope_chosen.emit(None)
            self.collection_chosen.emit(name)
            return
        key = item.data(0, PATH_ROLE)
        if key is None:
            return
        if self.collection is not None:
            self.collection = None
            self.collection_chosen.emit(None)
        folder = None if key == ALL else Path(key)
        if folder != self.scope:
            self.scope = folder
            self.scope_chosen.emit(folder)
