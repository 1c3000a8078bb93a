"""Starting the desktop application: Qt application, data home, database, migrations, window, changelog."""

from __future__ import annotations

import sys

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from core.errors import FoleycutError
from core.home import APP_NAME, DataHome
from core.recovery import recover_at_start
from ui.changelog_dialog import show_changelog_if_new
from ui.crop_workbench import CropWorkbench
from ui.cut_tools import CutTools
from ui.main_window import MainWindow
from ui.scan_workbench import ScanWorkbench
from ui.search_workbench import SearchWorkbench
from ui.startup import open_database, run_legacy_migration, ui_settings
from ui.style import apply_style
from ui.waveform_loader import WaveformLoader


def run_app() -> int:
    app = QApplication.instance() or QApplication(sys.argv)
    app.setOrganizationName(APP_NAME)
    app.setApplicationName(APP_NAME)
    apply_style(app)
    try:
        home = DataHome.resolve()
    except FoleycutError as exc:  # $FOLEYCUT_HOME names a file, or a folder that cannot be made
        QMessageBox.critical(None, "Foleycut: data home", str(exc))
        return 1
    settings = ui_settings(home)
    db = open_database(home)
    if db is None:
        return 1
    try:
        error = run_legacy_migration(db)
        if error:
            QMessageBox.warning(
                None,
                "Foleycut: export layout update",
                f"{error}\nNothing was lost; the update resumes at the next start.",
            )
        recover_at_start(home, db)
        first_start = not settings.contains("window/geometry")  # saved when the window first closes
        window = MainWindow(home, db, settings)
        ScanWorkbench(window)
        SearchWorkbench(window)
        CutTools(window)
        CropWorkbench(window)
        WaveformLoader(window)
        window.restore_layout()
        # Closing the main window ends the app even while a dialog (Train, Hard Negatives) is still open.
        app.setQuitOnLastWindowClosed(False)
        window.closed.connect(app.quit)
        window.show()
        QTimer.singleShot(0, lambda: show_changelog_if_new(settings, window, first_start=first_start))
        return app.exec()
    finally:
        db.close()
