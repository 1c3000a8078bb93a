"""Exceptions whose message is meant for the user: one line, what happened and what to do."""


class FoleycutError(Exception):
    """A failure the user can act on. Front ends show `str(exc)` as is."""


class Cancelled(FoleycutError):
    """Long work stopped because the user asked it to."""

    def __init__(self, message: str = "Cancelled."):
        super().__init__(message)
