"""Reading Qt menus the way a user reads them: item texts in order, an item by its text."""

from __future__ import annotations

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu


def menu_texts(menu: QMenu) -> list[str]:
    """The visible item texts, in order (separators as "")."""
    return [action.text() for action in menu.actions()]


def find_action(menu: QMenu, text: str) -> QAction | None:
    """The item with this text, in the menu or one of its submenus."""
    for action in menu.actions():
        if action.text() == text:
            return action
        sub = action.menu()
        if isinstance(sub, QMenu):
            found = find_action(sub, text)
            if found is not None:
                return found
    return None
