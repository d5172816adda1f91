"""The frozen program's entry: the same ``photofind`` command as ``pip install`` gives, so
the one executable opens the window with no arguments and runs every CLI command with them.

PyInstaller needs a script, not an entry point name; this is that script."""

import locale
import os
import sys


def coerce_c_locale() -> None:
    """Python's own launcher turns a C or POSIX locale into C.UTF-8 (PEP 538) before any
    code runs; a frozen program has no such launcher. Without it, file names and Qt's text
    would be ASCII under a bare environment (a cron job, ``env -i``), and Qt warns."""
    if os.environ.get("LC_ALL"):
        return  # asked for explicitly: PEP 538 leaves it alone too
    try:
        current = locale.setlocale(locale.LC_CTYPE, "")
    except locale.Error:
        current = "C"
    if current in ("C", "POSIX"):
        os.environ["LC_CTYPE"] = "C.UTF-8"
        try:
            locale.setlocale(locale.LC_CTYPE, "")
        except locale.Error:
            os.environ.pop("LC_CTYPE")


if __name__ == "__main__":
    coerce_c_locale()
    from photofind.cli import main

    sys.exit(main())
