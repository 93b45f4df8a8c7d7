"""The one seam for unattended runs: one variable, read into one value by each entry point."""

from __future__ import annotations

from pathlib import Path

import pytest

from widget.unattended import ENV, Unattended


def test_nothing_set_is_an_attended_run_with_the_normal_deadline() -> None:
    plain = Unattended.from_environment({})
    assert plain == Unattended() and not plain.active and plain.http_deadline == 30.0


def test_a_value_survives_the_trip_to_a_child_process(tmp_path: Path) -> None:
    value = Unattended(url_log=tmp_path / "urls", modules_log=tmp_path / "mods", http_deadline=2)
    assert Unattended.from_environment(value.as_environment()) == value
    assert value.active


@pytest.mark.parametrize(
    ("raw", "deadline"),
    [('{"http_deadline": 0}', 0.1), ('{"http_deadline": 900}', 30.0), ('{"http_deadline": 5}', 5)],
)
def test_the_deadline_stays_within_its_bounds(raw: str, deadline: float) -> None:
    assert Unattended.from_environment({ENV: raw}).http_deadline == deadline


@pytest.mark.parametrize("raw", ["not json", "[1, 2]", '{"http_deadline": "soon"}'])
def test_an_unreadable_value_is_ignored_with_a_warning(
    raw: str, caplog: pytest.LogCaptureFixture
) -> None:
    assert Unattended.from_environment({ENV: raw}) == Unattended()
    assert ENV in caplog.text
