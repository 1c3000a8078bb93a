"""'What's new': the changelog entries a user has not seen, once per new version."""
from __future__ import annotations

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QCheckBox, QDialog, QDialogButtonBox, QTextBrowser, QVBoxLayout, QWidget

from core.changelog import ChangelogEntry, entries_since, newest_version, read_changelog

LAST_SEEN_KEY = "changelog/last_seen_version"


def entries_as_markdown(entries: list[ChangelogEntry]) -> str:
    return "\n\n".join(
        f"### {entry.version}" + (f" — {entry.date}" if entry.date else "") + f"\n\n{entry.body}"
        for entry in entries)


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


def show_changelog_if_new(settings: QSettings, parent: QWidget | None = None,
                          entries: list[ChangelogEntry] | None = None) -> bool:
    """At start-up: show what is new since the last version the user dismissed with "Don't show again".

    Ticking the box records the newest version as seen, so the popup returns only with the next version.
    Returns whether the dialog was shown.
    """
    new = unseen_entries(settings, entries)
    if not new:
        return False
    dialog = ChangelogDialog(new, offer_dont_show=True, parent=parent)
    dialog.exec()
    if dialog.dont_show_again.isChecked():
        settings.setValue(LAST_SEEN_KEY, newest_version(new))
        settings.sync()
    return True


def show_full_changelog(parent: QWidget | None = None) -> None:
    """Help menu: every entry, no checkbox."""
    ChangelogDialog(read_changelog(), offer_dont_show=False, parent=parent).exec()
