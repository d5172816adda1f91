"""Numbers as people read them: sizes, durations, time left, rates and counted nouns.

Written once so that the command line and the window say the same thing the same way. Where
the two front ends deliberately differ (the window has narrow columns and a status bar; a
terminal line is redrawn ten times a second), a keyword says which form is wanted. No
printing and no Qt here.

Sizes are decimal (1 MB = 1,000,000 bytes), as disks and download servers count them, except
:func:`binary_size`, which matches what file managers show for a single file.
"""

from __future__ import annotations

MB = 1_000_000
GB = 1_000_000_000


def plural(n: int, noun: str, *, grouped: bool = False, many: str | None = None) -> str:
    """``1 photo``, ``2 photos``; ``grouped`` writes ``12,345``; ``many`` is an irregular
    plural (``plural(2, "copy", many="copies")``)."""
    count = f"{n:,}" if grouped else str(n)
    return f"{count} {noun}" if n == 1 else f"{count} {many or noun + 's'}"


def size(n_bytes: int | None, *, in_gb: bool = False) -> str:
    """``3.4 MB`` below 10 MB, ``1,234 MB`` above; ``-`` for an unknown size. With
    ``in_gb``, 1000 MB and more are shown as ``1.2 GB``."""
    if n_bytes is None:
        return "-"
    mb = n_bytes / MB
    if in_gb and mb >= 1000:
        return f"{n_bytes / GB:.1f} GB"
    return f"{mb:.1f} MB" if mb < 10 else f"{mb:,.0f} MB"


def approx_size(mb: int, *, mark: str = "≈", in_gb: bool = True) -> str:
    """An estimate given in whole MB: ``≈600 MB``, ``≈1.7 GB`` (``~1,700 MB`` with
    ``mark="~", in_gb=False``)."""
    if in_gb and mb >= 1000:
        return f"{mark}{mb / 1000:.1f} GB"
    return f"{mark}{mb:,} MB"


def binary_size(n_bytes: int) -> str:
    """One file's size as a file manager shows it: ``512 bytes``, ``1.5 KB``, ``2.0 MB``
    (1 KB = 1024 bytes)."""
    value = float(n_bytes)
    for unit in ("bytes", "KB", "MB"):
        if value < 1024:
            return f"{value:,.0f} {unit}" if unit == "bytes" else f"{value:,.1f} {unit}"
        value /= 1024
    return f"{value:,.1f} GB"


def duration(seconds: float) -> str:
    """A compact duration that changes every second: ``45s``, ``3m 05s``, ``2h 07m``."""
    whole = int(seconds + 0.5)
    if whole < 60:
        return f"{whole}s"
    if whole < 3600:
        return f"{whole // 60}m {whole % 60:02d}s"
    return f"{whole // 3600}h {whole // 60 % 60:02d}m"


def time_left(seconds: float | None, *, precise: bool = False) -> str:
    """How long a job still takes: ``about 4 min left`` (``less than a minute left``,
    ``about 1 h 05 min left``); with ``precise``, ``about 3m 05s left``. Empty when not
    known."""
    if seconds is None:
        return ""
    if precise:
        return f"about {duration(seconds)} left"
    if seconds < 60:
        return "less than a minute left"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"about {minutes} min left"
    return f"about {minutes // 60} h {minutes % 60:02d} min left"


def transfer_rate(bytes_per_s: float) -> str:
    """``2.5 MB/s``."""
    return f"{bytes_per_s / MB:.1f} MB/s"


def photo_rate(photos_per_s: float) -> str:
    """``12.3 photos/s``."""
    return f"{photos_per_s:.1f} photos/s"
