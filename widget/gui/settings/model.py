"""The settings dialog's sources table: a model over the sources being edited, with status text,
a 24-hour activity sparkline, checkable enabled/notify columns and drag-to-reorder."""

from __future__ import annotations

import enum
import json
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta, timezone

from PySide6.QtCore import (
    QAbstractTableModel,
    QByteArray,
    QMimeData,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QRect,
    QSize,
    Qt,
)
from PySide6.QtGui import QPainter, QPalette
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from widget.core import schedule
from widget.core.models import FetchState, Settings, Source, SourceKind

MIME_ROWS = "application/x-live-updates-source-rows"
SPARK_HOURS = 24
ACTIVITY_ROLE = Qt.ItemDataRole.UserRole + 1  # list[int]: entries per hour, oldest first

Index = QModelIndex | QPersistentModelIndex


class Col(enum.IntEnum):
    ENABLED = 0
    NAME = 1
    KIND = 2
    URL = 3
    INTERVAL = 4
    NOTIFY = 5
    STATUS = 6
    ACTIVITY = 7


HEADERS = {
    Col.ENABLED: "On",
    Col.NAME: "Name",
    Col.KIND: "Kind",
    Col.URL: "URL",
    Col.INTERVAL: "Every",
    Col.NOTIFY: "Notify",
    Col.STATUS: "Status",
    Col.ACTIVITY: "Last 24 h",
}
KIND_TEXT = {
    SourceKind.FEED: "Feed",
    SourceKind.JSON_FEED: "JSON Feed",
    SourceKind.LIVE_PAGE: "Live page",
}


def hourly_counts(times: Sequence[datetime], now: datetime, hours: int = SPARK_HOURS) -> list[int]:
    """Entries first seen in each of the last ``hours`` hours, oldest hour first."""
    counts = [0] * hours
    for t in times:
        age = (now - t).total_seconds()
        if 0 <= age < hours * 3600:
            counts[hours - 1 - int(age // 3600)] += 1
    return counts


def _clock(t: datetime, now: datetime) -> str:
    local = t.astimezone()
    if now - t < timedelta(hours=20):
        return f"{local:%H:%M}"
    return f"{local:%d %b %H:%M}"


def status_text(
    state: FetchState | None,
    now: datetime,
    source: Source | None = None,
    settings: Settings | None = None,
) -> tuple[str, str]:
    """(short status, tooltip) for a source's fetch state; with its source and settings, the
    next check and why ("next 12:03 — active live page")."""
    if state is None:
        return "New — saved on Apply", "This source is checked once the settings are applied."
    if state.disabled_reason:
        return f"Stopped: {state.disabled_reason}", state.disabled_reason
    parts: list[str] = []
    if state.last_checked is not None:
        parts.append(f"checked {_clock(state.last_checked, now)}")
    if state.last_new_entry is not None:
        parts.append(f"new {_clock(state.last_new_entry, now)}")
    if state.last_error:
        # an error, or a note on a poll that worked (e.g. a move the source did not follow)
        label = "Error" if state.error_count else "Note"
        short = f"{label}: {state.last_error}"
        if state.error_count:  # how long it has been failing
            worked = state.last_success
            parts.append(f"last worked {_clock(worked, now)}" if worked else "never worked yet")
        return short, "; ".join([short, *parts])
    if not parts:
        return "Not checked yet", "Waiting for the first check."
    if source is not None and settings is not None and source.enabled and state.next_due:
        due = schedule.due_at(state, now)
        reason = schedule.describe(source, state, settings, now)
        parts.append(f"next {_clock(due, now)} — {reason}")
    text = ", ".join(parts)
    return text[0].upper() + text[1:], text


class SourcesModel(QAbstractTableModel):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.fixed_period_s: float | None = None  # the demo: every source at this period
        self.sources: list[Source] = []
        self.states: dict[str, FetchState] = {}
        self.activity: dict[str, list[int]] = {}
        self.settings = Settings()
        self.now = datetime.now(timezone.utc)

    # --- loading ---
    def reset(
        self,
        sources: Sequence[Source],
        settings: Settings,
        states: Mapping[str, FetchState],
        activity: Mapping[str, Sequence[datetime]],
        now: datetime,
    ) -> None:
        self.beginResetModel()
        self.sources = list(sources)
        self.settings = settings
        self.now = now
        self.states = dict(states)
        self.activity = {sid: hourly_counts(times, now) for sid, times in activity.items()}
        self.endResetModel()

    def set_states(self, states: Mapping[str, FetchState]) -> None:
        self.states = dict(states)
        self._changed(Col.STATUS)

    def add(self, source: Source) -> int:
        row = len(self.sources)
        self.beginInsertRows(QModelIndex(), row, row)
        self.sources.append(source)
        self.endInsertRows()
        return row

    def replace(self, source: Source) -> None:
        for row, existing in enumerate(self.sources):
            if existing.id == source.id:
                self.sources[row] = source
                self.dataChanged.emit(self.index(row, 0), self.index(row, len(Col) - 1))
                return
        self.add(source)

    def insert(self, row: int, source: Source) -> None:
        row = max(0, min(row, len(self.sources)))
        self.beginInsertRows(QModelIndex(), row, row)
        self.sources.insert(row, source)
        self.endInsertRows()

    def take(self, row: int) -> Source:
        self.beginRemoveRows(QModelIndex(), row, row)
        source = self.sources.pop(row)
        self.endRemoveRows()
        return source

    def move(self, row: int, to: int) -> bool:
        """Move ``row`` so that it ends up at position ``to`` (0 … len-1)."""
        to = max(0, min(to, len(self.sources) - 1))
        if row == to or not 0 <= row < len(self.sources):
            return False
        dest = to + 1 if to > row else to  # Qt counts the destination before the removal
        if not self.beginMoveRows(QModelIndex(), row, row, QModelIndex(), dest):
            return False
        self.sources.insert(to, self.sources.pop(row))
        self.endMoveRows()
        return True

    # --- Qt model ---
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.sources)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(Col)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> object:
        if orientation is Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return HEADERS[Col(section)]
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        base = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if not index.isValid():
            return base | Qt.ItemFlag.ItemIsDropEnabled
        base |= Qt.ItemFlag.ItemIsDragEnabled
        if index.column() in (Col.ENABLED, Col.NOTIFY):
            base |= Qt.ItemFlag.ItemIsUserCheckable
        return base

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid():
            return None
        source = self.sources[index.row()]
        col = Col(index.column())
        if role == Qt.ItemDataRole.CheckStateRole:
            if col is Col.ENABLED:
                return _check(source.enabled)
            if col is Col.NOTIFY:
                return _check(source.notify)
            return None
        if role == ACTIVITY_ROLE and col is Col.ACTIVITY:
            return self.activity.get(source.id, [0] * SPARK_HOURS)
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return self._text(source, col, tooltip=role == Qt.ItemDataRole.ToolTipRole)
        return None

    def setData(self, index: Index, value: object, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.CheckStateRole or not index.isValid():
            return False
        checked = value in (Qt.CheckState.Checked, Qt.CheckState.Checked.value)
        source = self.sources[index.row()]
        if index.column() == Col.ENABLED:
            self.sources[index.row()] = replace(source, enabled=checked)
        elif index.column() == Col.NOTIFY:
            self.sources[index.row()] = replace(source, notify=checked)
        else:
            return False
        self.dataChanged.emit(index, index, [role])
        return True

    # --- drag to reorder ---
    def supportedDropActions(self) -> Qt.DropAction:
        return Qt.DropAction.MoveAction

    def mimeTypes(self) -> list[str]:
        return [MIME_ROWS]

    def mimeData(self, indexes: Sequence[QModelIndex]) -> QMimeData:
        data = QMimeData()
        rows = sorted({i.row() for i in indexes if i.isValid()})
        data.setData(MIME_ROWS, QByteArray(json.dumps(rows).encode()))
        return data

    def dropMimeData(
        self, data: QMimeData, action: Qt.DropAction, row: int, column: int, parent: Index
    ) -> bool:
        """Moves the dragged row; returns False so the view removes nothing afterwards."""
        if action != Qt.DropAction.MoveAction or not data.hasFormat(MIME_ROWS):
            return False
        rows = json.loads(bytes(data.data(MIME_ROWS).data()).decode())
        if len(rows) != 1:
            return False
        target = row if row >= 0 else (parent.row() if parent.isValid() else len(self.sources))
        moving = int(rows[0])
        self.move(moving, target - 1 if target > moving else target)
        return False

    # --- helpers ---
    def _text(self, source: Source, col: Col, *, tooltip: bool) -> str | None:
        if col is Col.NAME:
            return (
                source.name
                if not tooltip or not source.folder
                else (f"{source.name} (folder {source.folder})")
            )
        if col is Col.KIND:
            return KIND_TEXT[source.kind]
        if col is Col.URL:
            return source.url
        if col is Col.INTERVAL and self.fixed_period_s is not None:
            every = f"{self.fixed_period_s:g} s"
            return f"Checked every {every} (the demo)" if tooltip else every
        if col is Col.INTERVAL:
            state = self.states.get(source.id) or FetchState(source.id)
            pace = schedule.current_interval(source, state, self.settings, self.now)
            minutes = max(1, round(pace.total_seconds() / 60))
            if source.interval_mode.value == "fixed" or self.settings.schedule.value == "fixed":
                suffix = " (default)" if source.interval_minutes is None and tooltip else ""
                return f"{minutes} min{suffix}"
            return f"Auto (now {minutes} min)" if tooltip else f"Auto · {minutes} min"
        if col is Col.STATUS:
            short, full = status_text(self.states.get(source.id), self.now, source, self.settings)
            return full if tooltip else short
        if col is Col.ACTIVITY and tooltip:
            total = sum(self.activity.get(source.id, ()))
            return f"{total} new entr{'y' if total == 1 else 'ies'} in the last 24 hours"
        return None

    def _changed(self, col: Col) -> None:
        if self.sources:
            self.dataChanged.emit(self.index(0, col), self.index(len(self.sources) - 1, col))


def _check(on: bool) -> Qt.CheckState:
    return Qt.CheckState.Checked if on else Qt.CheckState.Unchecked


class SparklineDelegate(QStyledItemDelegate):
    """Draws the activity column as 24 thin bars, one per hour, newest on the right."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        self.initStyleOption(option, index)
        style = option.widget.style() if option.widget is not None else None
        if style is not None:
            style.drawPrimitive(QStyle.PrimitiveElement.PE_PanelItemViewItem, option, painter)
        counts = index.data(ACTIVITY_ROLE) or []
        if not counts:
            return
        rect: QRect = option.rect.adjusted(4, 4, -4, -4)
        top = max(counts) or 1
        width = rect.width() / len(counts)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Highlight
        color = option.palette.color(role)
        faint = option.palette.color(QPalette.ColorRole.Mid)
        painter.save()
        painter.setPen(Qt.PenStyle.NoPen)
        for i, count in enumerate(counts):
            x = rect.left() + int(i * width)
            w = max(1, int(width) - 1)
            if count:
                h = max(2, int(rect.height() * count / top))
                painter.fillRect(x, rect.bottom() - h + 1, w, h, color)
            else:
                painter.fillRect(x, rect.bottom(), w, 1, faint)
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        return QSize(SPARK_HOURS * 4 + 8, 20)
