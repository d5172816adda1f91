"""The wording of numbers that both front ends show."""

from __future__ import annotations

import pytest

from photofind.core import humanize


@pytest.mark.parametrize(
    ("n", "kwargs", "text"),
    [
        (0, {}, "0 photos"),
        (1, {}, "1 photo"),
        (2, {}, "2 photos"),
        (12345, {}, "12345 photos"),
        (12345, {"grouped": True}, "12,345 photos"),
        (1, {"many": "copies"}, "1 photo"),
        (3, {"many": "copies"}, "3 copies"),
    ],
)
def test_plural(n, kwargs, text):
    assert humanize.plural(n, "photo", **kwargs) == text


@pytest.mark.parametrize(
    ("n_bytes", "text", "text_in_gb"),
    [
        (None, "-", "-"),
        (0, "0.0 MB", "0.0 MB"),
        (3_456_789, "3.5 MB", "3.5 MB"),
        (9_940_000, "9.9 MB", "9.9 MB"),
        (10_000_000, "10 MB", "10 MB"),
        (605_400_000, "605 MB", "605 MB"),
        (999_400_000, "999 MB", "999 MB"),
        (1_000_000_000, "1,000 MB", "1.0 GB"),
        (1_730_000_000, "1,730 MB", "1.7 GB"),
    ],
)
def test_size(n_bytes, text, text_in_gb):
    assert humanize.size(n_bytes) == text
    assert humanize.size(n_bytes, in_gb=True) == text_in_gb


def test_approx_size():
    assert humanize.approx_size(600) == "≈600 MB"
    assert humanize.approx_size(1700) == "≈1.7 GB"
    assert humanize.approx_size(1700, mark="~", in_gb=False) == "~1,700 MB"


@pytest.mark.parametrize(
    ("n_bytes", "text"),
    [
        (0, "0 bytes"),
        (1023, "1,023 bytes"),
        (1024, "1.0 KB"),
        (1536, "1.5 KB"),
        (5 * 1024**2, "5.0 MB"),
        (3 * 1024**3 // 2, "1.5 GB"),
        (2048 * 1024**3, "2,048.0 GB"),
    ],
)
def test_binary_size(n_bytes, text):
    assert humanize.binary_size(n_bytes) == text


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0s"),
        (0.4, "0s"),
        (0.5, "1s"),
        (59.4, "59s"),
        (59.5, "1m 00s"),
        (185, "3m 05s"),
        (3599, "59m 59s"),
        (3600, "1h 00m"),
        (7620, "2h 07m"),
    ],
)
def test_duration(seconds, text):
    assert humanize.duration(seconds) == text


@pytest.mark.parametrize(
    ("seconds", "text", "precise"),
    [
        (None, "", ""),
        (5, "less than a minute left", "about 5s left"),
        (60, "about 1 min left", "about 1m 00s left"),
        (185, "about 3 min left", "about 3m 05s left"),
        (3569, "about 59 min left", "about 59m 29s left"),
        (3570, "about 1 h 00 min left", "about 59m 30s left"),
        (3900, "about 1 h 05 min left", "about 1h 05m left"),
    ],
)
def test_time_left(seconds, text, precise):
    assert humanize.time_left(seconds) == text
    assert humanize.time_left(seconds, precise=True) == precise


def test_rates():
    assert humanize.transfer_rate(2_549_000) == "2.5 MB/s"
    assert humanize.transfer_rate(0) == "0.0 MB/s"
    assert humanize.photo_rate(12.345) == "12.3 photos/s"
