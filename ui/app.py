"""Starting the desktop application: Qt application, data home, database, migrations, window, changelog."""
from __future__ import annotations

import sys

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from core.home import APP_NAME, DataHome
from ui.changelog_dialog import show_changelog_if_new
from ui.main_window import MainWindow
from ui.scan_workbench import ScanWorkbench
from ui.search_workbench import SearchWorkbench
from ui.startup import open_database, run_legacy_migration, ui_settings
from ui.style import apply_style


def run_app() -> int:
    app = QApplication.instance() or QApplication(sys.argv)
    app.setOrganizationName(APP_NAME)
    app.setApplicationName(APP_NAME)
    apply_style(app)
    home = DataHome.resolve()
    settings = ui_settings(home)
    db = open_database(home)
    if db is None:
        return 1
    try:
        error = run_legacy_migration(db)
        if error:
            QMessageBox.warning(None, "Foleycut: export layout update",
                                f"{error}\nNothing was lost; the update resumes at the next start.")
        window = MainWindow(home, db, settings)
        ScanWorkbench(window)
        SearchWorkbench(window)
        window.restore_layout()
        # Closing the main window ends the app even while a dialog (Train, Hard Negatives) is still open.
        app.setQuitOnLastWindowClosed(False)
        window.closed.connect(app.quit)
        window.show()
        QTimer.singleShot(0, lambda: show_changelog_if_new(settings, window))
        return app.exec()
    finally:
        db.close()
