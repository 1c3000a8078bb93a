"""Foleycut entry point: no arguments opens the window, a sub-command runs headless.

python main.py                 the desktop application
python main.py --help          the headless sub-commands
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    from core.allocator import keep_block_sized_arrays

    keep_block_sized_arrays()
    if not argv:
        from ui.app import run_app

        return run_app()
    from cli import run_cli

    return run_cli(argv)


if __name__ == "__main__":
    sys.exit(main())
