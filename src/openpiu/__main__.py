"""`python -m openpiu`, and the `openpiu` command's entry point.

The command's script imports only this module; the command line, and what its commands need, is imported
when it runs. A process started with multiprocessing's "spawn" (the reader processes of `openpiu ingest`
where there is no fork server) imports the script again as its main module, so that process stays light
and starts at once.
"""

from __future__ import annotations

import sys


def main() -> int:
    from openpiu.cli import main as run  # noqa: PLC0415 (imported when run: see the module's text)

    return run()


if __name__ == "__main__":
    sys.exit(main())
