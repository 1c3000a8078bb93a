"""Where Foleycut keeps its data: one folder, the "data home".

`$FOLEYCUT_HOME` wins when set (tests and the CLI's `--home` use it); otherwise the platform's
user data directory as platformdirs reports it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from platformdirs import user_data_dir

from core.errors import FoleycutError

APP_NAME = "Foleycut"


@dataclass(frozen=True)
class DataHome:
    root: Path

    @classmethod
    def resolve(cls, explicit: str | os.PathLike | None = None) -> DataHome:
        chosen = explicit or os.environ.get("FOLEYCUT_HOME") or user_data_dir(APP_NAME, appauthor=False)
        root = Path(chosen).expanduser().resolve()
        try:
            root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:  # a file of that name, a path through a file, no permission
            raise FoleycutError(
                f"Cannot use {root} as the data home ({exc.strerror or exc}): name a folder "
                "(or a new one) you can write to."
            ) from exc
        return cls(root)

    @property
    def db_path(self) -> Path:
        return self.root / "foleycut.db"

    @property
    def models_dir(self) -> Path:
        """Trained classifiers (skops files with their metadata)."""
        return self._dir("models")

    @property
    def embeddings_cache_dir(self) -> Path:
        return self._dir("cache", "embeddings")

    @property
    def hf_cache_dir(self) -> Path:
        """Hugging Face downloads land here rather than in ~/.cache."""
        return self._dir("hf")

    def _dir(self, *parts: str) -> Path:
        path = self.root.joinpath(*parts)
        path.mkdir(parents=True, exist_ok=True)
        return path
