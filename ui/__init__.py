"""PySide6 front end: widgets and dialogs that call core and show its results."""
