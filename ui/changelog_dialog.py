"""'What's new': the changelog entries a user has not seen, once per new version; a welcome at the first start.

A first start has nothing "new" to show (every entry predates the user): it gets a few lines on the loop
instead, and the current version counts as seen. Later the popup shows the versions newer than the last one
seen, once; "Don't show again" stops it for good (Help ▸ What's new still lists everything).
"""

from __future__ import annotations

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QCheckBox, QDialog, QDialogButtonBox, QMessageBox, QTextBrowser, QVBoxLayout, QWidget

from core.changelog import ChangelogEntry, entries_since, newest_version, read_changelog

LAST_SEEN_KEY = "changelog/last_seen_version"
NEVER_KEY = "changelog/dont_show"
WELCOME = (
    "<b>Welcome to Foleycut.</b><ol>"
    "<li>Open videos (Ctrl+O) or drop them on the playlist.</li>"
    "<li>Choose an export folder, go to a sound and press <b>E</b> to cut clips there.</li>"
    "<li>Train a classifier (Ctrl+T), scan (Ctrl+Shift+S), review the regions it found, mark the false "
    "hits as negatives and train again.</li></ol>"
    "Press <b>?</b> for every shortcut."
)


def entries_as_markdown(entries: list[ChangelogEntry]) -> str:
    return "\n\n".join(
        f"### {entry.version}" + (f" — {entry.date}" if entry.date else "") + f"\n\n{entry.body}" for entry in entries
    )


class ChangelogDialog(QDialog):
    """Shows `entries`; with `offer_dont_show`, a "Don't show again" checkbox under them."""

    def __init__(self, entries: list[ChangelogEntry], *, offer_dont_show: bool, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("What's new in Foleycut")
        self.browser = QTextBrowser(self)
        self.browser.setOpenExternalLinks(True)
        self.browser.setMarkdown(entries_as_markdown(entries) or "No changes recorded.")
        self.dont_show_again = QCheckBox("Don't show again", self)
        self.dont_show_again.setVisible(offer_dont_show)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok, self)
        buttons.accepted.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.addWidget(self.browser)
        layout.addWidget(self.dont_show_again)
        layout.addWidget(buttons)
        self.resize(560, 420)


def unseen_entries(settings: QSettings, entries: list[ChangelogEntry] | None = None) -> list[ChangelogEntry]:
    entries = read_changelog() if entries is None else entries
    return entries_since(entries, settings.value(LAST_SEEN_KEY, None, type=str) or None)


def show_changelog_if_new(
    settings: QSettings,
    parent: QWidget | None = None,
    entries: list[ChangelogEntry] | None = None,
    *,
    first_start: bool = False,
) -> bool:
    """At start-up: a welcome on the first start, else what is new since the last version seen (once).
    Returns whether a dialog was shown."""
    entries = read_changelog() if entries is None else entries
    if first_start and not settings.contains(LAST_SEEN_KEY):
        QMessageBox.information(parent, "Welcome to Foleycut", WELCOME)
        _mark_seen(settings, newest_version(entries))
        return True
    new = unseen_entries(settings, entries)
    if not new or settings.value(NEVER_KEY, False, type=bool):
        return False
    dialog = ChangelogDialog(new, offer_dont_show=True, parent=parent)
    dialog.exec()
    settings.setValue(NEVER_KEY, dialog.dont_show_again.isChecked())
    _mark_seen(settings, newest_version(new))
    return True


def _mark_seen(settings: QSettings, version: str | None) -> None:
    if version is not None:
        settings.setValue(LAST_SEEN_KEY, version)
        settings.sync()


def show_full_changelog(parent: QWidget | None = None) -> None:
    """Help menu: every entry, no checkbox."""
    ChangelogDialog(read_changelog(), offer_dont_show=False, parent=parent).exec()
