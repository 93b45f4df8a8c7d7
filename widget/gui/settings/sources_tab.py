"""The settings dialog's Sources tab: the table, Add/Edit (through the editor), Remove with undo,
Check now, reordering and OPML import/export. Changes stay in the tab until the dialog applies."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from widget.core.models import AuthKind, Config, Settings, Source
from widget.gui.settings.editor import Prober, SourceEditor
from widget.gui.settings.model import Col, SourcesModel, SparklineDelegate
from widget.gui.settings.probe import ProbeRunner
from widget.gui.settings.util import SecretsLike, set_error
from widget.storage.opml import OpmlError, export_opml, import_feeds, parse_opml

log = logging.getLogger(__name__)


class SourcesTab(QWidget):
    check_requested = Signal(object)  # list[str]: source ids to check now
    editor_opened = Signal(object)  # SourceEditor (tests and the app can follow it)

    def __init__(
        self,
        *,
        prober: Prober,
        secrets: SecretsLike,
        settings: Callable[[], Settings],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.prober = prober
        self.secrets = secrets
        self.settings = settings
        self.runner = ProbeRunner(self)
        self.model = SourcesModel()
        self.model.setParent(self)
        self.pending_secrets: dict[str, str] = {}
        self.stored_secrets: set[str] = set()  # ids whose secret is in the keyring already
        self.undo_stack: list[tuple[int, Source, str | None]] = []
        self.editor: SourceEditor | None = None
        self._build()

    def _build(self) -> None:
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setItemDelegateForColumn(Col.ACTIVITY, SparklineDelegate(self.table))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.table.setDragEnabled(True)
        self.table.setAcceptDrops(True)
        self.table.setDropIndicatorShown(True)
        self.table.setDragDropOverwriteMode(False)
        self.table.verticalHeader().hide()
        self.table.setWordWrap(False)
        self.table.doubleClicked.connect(lambda index: self.edit_source(index.row()))
        header = self.table.horizontalHeader()
        header.setStretchLastSection(False)
        # Names and kinds are shown whole; the URL and the status give way when room is short.
        for col in Col:
            mode = QHeaderView.ResizeMode.ResizeToContents
            if col in (Col.URL, Col.STATUS):
                mode = QHeaderView.ResizeMode.Stretch
            header.setSectionResizeMode(col, mode)

        def button(text: str, slot: Callable[[], object]) -> QPushButton:
            b = QPushButton(text)
            b.clicked.connect(lambda: slot())
            return b

        self.add_button = button("Add…", self.add_source)
        self.edit_button = button("Edit…", lambda: self.edit_source(self.current_row()))
        self.remove_button = button("Remove", lambda: self.remove_source(self.current_row()))
        self.check_button = button("Check now", self.check_now)
        self.up_button = button("Move up", lambda: self.move_current(-1))
        self.down_button = button("Move down", lambda: self.move_current(1))
        self.import_button = button("Import OPML…", self._import_dialog)
        self.export_button = button("Export OPML…", self._export_dialog)
        self.undo_label = QLabel()
        self.undo_button = button("Undo", self.undo_remove)
        self.message_label = QLabel()
        self.message_label.setWordWrap(True)
        self.error_label = QLabel()
        self.error_label.setStyleSheet("color: #c62828;")
        self.error_label.setWordWrap(True)
        self.error_label.hide()

        row = QHBoxLayout()
        for b in (self.add_button, self.edit_button, self.remove_button, self.check_button):
            row.addWidget(b)
        row.addStretch(1)
        for b in (self.up_button, self.down_button):
            row.addWidget(b)
        opml = QHBoxLayout()
        opml.addWidget(self.import_button)
        opml.addWidget(self.export_button)
        opml.addWidget(self.message_label, 1)
        undo = QHBoxLayout()
        undo.addWidget(self.undo_label, 1)
        undo.addWidget(self.undo_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addLayout(row)
        layout.addLayout(undo)
        layout.addWidget(self.error_label)
        layout.addLayout(opml)
        self._show_undo()

    # --- selection ---
    def current_row(self) -> int:
        index = self.table.currentIndex()
        return index.row() if index.isValid() else -1

    def select_row(self, row: int) -> None:
        if 0 <= row < self.model.rowCount():
            self.table.selectRow(row)
            self.table.setCurrentIndex(self.model.index(row, Col.NAME))

    def source_at(self, row: int) -> Source | None:
        return self.model.sources[row] if 0 <= row < len(self.model.sources) else None

    # --- add / edit ---
    def add_source(self) -> SourceEditor:
        return self._open_editor(None)

    def edit_source(self, row: int) -> SourceEditor | None:
        source = self.source_at(row)
        if source is None:
            self._say("Select a source to edit first.")
            return None
        return self._open_editor(source)

    def _open_editor(self, source: Source | None) -> SourceEditor:
        has = source is not None and (
            source.id in self.stored_secrets or source.id in self.pending_secrets
        )
        editor = SourceEditor(
            source=source,
            others=self.model.sources,
            settings=self.settings(),
            runner=self.runner,
            prober=self.prober,
            secrets=self.secrets,
            has_secret=has,
            parent=self,
        )
        editor.accepted.connect(lambda: self._edited(editor))
        self.editor = editor
        editor.open()
        self.editor_opened.emit(editor)
        return editor

    def _edited(self, editor: SourceEditor) -> None:
        source = editor.result_source
        if source is None:
            return
        if editor.secret is not None:
            self.pending_secrets[source.id] = editor.secret
        elif source.auth is AuthKind.NONE:
            self.pending_secrets.pop(source.id, None)
        if editor.original is None:
            row = self.model.add(source)
            self._say(f"“{source.name}” will be added when you apply the settings.")
        else:
            self.model.replace(source)
            row = self.model.sources.index(source)
            self._say(f"Changes to “{source.name}” are applied with OK or Apply.")
        self.select_row(row)

    # --- remove / undo ---
    def remove_source(self, row: int) -> None:
        source = self.source_at(row)
        if source is None:
            self._say("Select a source to remove first.")
            return
        self.model.take(row)
        self.undo_stack.append((row, source, self.pending_secrets.pop(source.id, None)))
        self._show_undo()

    def undo_remove(self) -> None:
        if not self.undo_stack:
            return
        row, source, secret = self.undo_stack.pop()
        self.model.insert(row, source)
        if secret is not None:
            self.pending_secrets[source.id] = secret
        self.select_row(row)
        self._show_undo()

    def _show_undo(self) -> None:
        if self.undo_stack:
            last = self.undo_stack[-1][1]
            name = last.name
            extra = "" if last.auth is AuthKind.NONE else " and its stored password or token"
            self.undo_label.setText(
                f"Removed “{name}”. Its entries{extra} are deleted when you apply."
            )
        self.undo_label.setVisible(bool(self.undo_stack))
        self.undo_button.setVisible(bool(self.undo_stack))

    # --- other actions ---
    def check_now(self) -> None:
        source = self.source_at(self.current_row())
        ids = [source.id] if source is not None else [s.id for s in self.model.sources]
        self.check_requested.emit(ids)
        self._say("Checking now…" if ids else "There are no sources to check.")

    def move_current(self, step: int) -> None:
        row = self.current_row()
        if row >= 0 and self.model.move(row, row + step):
            self.select_row(row + step)

    # --- OPML ---
    def import_opml(self, data: bytes, settings: Settings) -> bool:
        """Add the file's feeds to the table; a malformed file changes nothing."""
        try:
            document = parse_opml(data)
        except OpmlError as exc:
            self._error(f"Nothing was imported: {exc}.")
            return False
        working = Config(settings=settings, sources=tuple(self.model.sources))
        result = import_feeds(working, document)
        for source in result.added:
            self.model.add(source)
        message = result.summary() + (". Apply to keep them." if result.added else ".")
        if result.problems:
            message += " Left out: " + "; ".join(result.problems[:5])
        self._error(None)
        self._say(message)
        return True

    def export_opml(self, settings: Settings) -> bytes:
        return export_opml(Config(settings=settings, sources=tuple(self.model.sources)))

    def _import_dialog(self) -> None:
        name, _ = QFileDialog.getOpenFileName(
            self, "Import OPML", "", "OPML files (*.opml *.xml);;All files (*)"
        )
        if not name:
            return
        try:
            data = Path(name).read_bytes()
        except OSError as exc:
            self._error(f"{name} could not be read ({exc.strerror or exc}); nothing imported.")
            return
        self.import_opml(data, self.settings())

    def _export_dialog(self) -> None:
        name, _ = QFileDialog.getSaveFileName(
            self, "Export OPML", "live-updates.opml", "OPML files (*.opml)"
        )
        if not name:
            return
        try:
            Path(name).write_bytes(self.export_opml(self.settings()))
        except OSError as exc:
            self._error(f"{name} could not be written ({exc.strerror or exc}).")
            return
        self._say(f"Exported {len(self.model.sources)} sources to {name}.")

    # --- messages ---
    def _say(self, text: str) -> None:
        self.message_label.setText(text)

    def _error(self, text: str | None) -> None:
        set_error(self.error_label, text)

    def forget_undo(self) -> None:
        """After a load or an apply: nothing is pending, so no undo and no "when you apply"."""
        self.undo_stack.clear()
        self._show_undo()
        self.message_label.clear()
