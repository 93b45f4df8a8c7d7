"""The config file: round trip, readable layout, validation messages, atomic and locked writes."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from widget.core.errors import ConfigError
from widget.core.models import AuthKind, Config, QuietHours, Settings, Source, SourceKind
from widget.paths import AppPaths
from widget.storage.config import (
    ConfigStore,
    name_taken,
    new_source_id,
    unique_name,
    with_source,
    without_source,
)
from widget.storage.config_schema import source_problems


def feed(sid: str, name: str, **kw: Any) -> Source:
    return Source(
        id=sid, name=name, url=f"https://example.test/{sid}.xml", kind=SourceKind.FEED, **kw
    )


FULL = Config(
    settings=Settings(
        default_interval_feed=20,
        retention_days=14,
        quiet_hours=QuietHours(start="23:00", end="06:30", days=(4, 5)),
        highlight_words=("bridge", "ferry"),
        proxy="http://proxy.example:3128",
    ),
    sources=(
        feed("a1", "Harbour Watch", include=("storm", "/gale|squall/"), folder="Coast"),
        Source(
            id="b2",
            name="Valley Radio live",
            url="https://example.test/live",
            kind=SourceKind.LIVE_PAGE,
            interval_minutes=2,
            notify=False,
            auth=AuthKind.BASIC,
            username="reader",
        ),
        Source(
            id="c3",
            name="Town Hall API",
            url="https://example.test/api.json",
            kind=SourceKind.JSON_FEED,
            enabled=False,
            exclude=("parking",),
            auth=AuthKind.HEADER,
            auth_header="X-Api-Key",
        ),
    ),
)


def write(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def valid_file() -> dict[str, Any]:
    return {
        "version": 1,
        "sources": [
            {
                "id": f"s{i}",
                "name": f"Source {i}",
                "url": f"https://example.test/{i}",
                "kind": "feed",
            }
            for i in range(3)
        ],
    }


def test_a_missing_file_is_the_default_config(tmp_path: Path) -> None:
    assert ConfigStore(tmp_path / "config.json").load() == Config()


def test_round_trip_keeps_everything(tmp_path: Path) -> None:
    store = ConfigStore(tmp_path / "deep" / "folder" / "config.json")
    store.save(FULL)
    assert ConfigStore(store.path).load() == FULL


def test_the_file_is_readable_json_with_a_version(tmp_path: Path) -> None:
    store = ConfigStore(tmp_path / "config.json")
    store.save(FULL)
    text = store.path.read_text(encoding="utf-8")
    assert text.startswith('{\n  "version": 1,\n  "settings": {\n    "default_interval_feed": 20,')
    data = json.loads(text)
    assert list(data["sources"][0])[:4] == ["id", "name", "url", "kind"]
    assert data["sources"][1]["kind"] == "livepage"
    assert data["settings"]["quiet_hours"] == {"start": "23:00", "end": "06:30", "days": [4, 5]}


def test_save_leaves_no_temporary_files(tmp_path: Path) -> None:
    store = ConfigStore(tmp_path / "config.json")
    store.save(FULL)
    store.save(with_source(FULL, feed("d4", "Weather desk")))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.json"]


def test_default_paths_respect_xdg(home: Path) -> None:
    store = ConfigStore(AppPaths.default().config_file)
    store.save(FULL)
    assert store.path.is_relative_to(home / "config")
    assert store.load() == FULL


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda d: d["sources"][2].update(interval_minutes=0),
            "sources[2].interval_minutes: must be a whole number ≥ 1",
        ),
        (
            lambda d: d["sources"][1].update(interval_minutes="5"),
            "sources[1].interval_minutes: must be a whole number ≥ 1",
        ),
        (lambda d: d["sources"][0].update(kind="podcast"), "sources[0].kind: must be one of"),
        (lambda d: d["sources"][0].pop("kind"), "sources[0].kind: must be one of"),
        (
            lambda d: d["sources"][1].update(url="ftp://example.test/x"),
            "sources[1].url: must start with http:// or https://",
        ),
        (lambda d: d["sources"][1].update(url="https://"), "sources[1].url: must be a complete"),
        (
            lambda d: d["sources"][2].update(name="source 0"),
            "sources[2].name: another source is already called 'Source 0'",
        ),
        (lambda d: d["sources"][2].update(name="  "), "sources[2].name: must not be empty"),
        (lambda d: d["sources"][2].update(id="s0"), "sources[2].id: 's0' is already the id of"),
        (lambda d: d["sources"][0].pop("id"), "sources[0].id: must be a non-empty text"),
        (lambda d: d["sources"][0].update(enabled="yes"), "sources[0].enabled: must be true or"),
        (
            lambda d: d["sources"][0].update(auth="basic"),
            "sources[0].username: is needed for HTTP Basic",
        ),
        (
            lambda d: d["sources"][0].update(auth="header", auth_header="Bad Header"),
            "sources[0].auth_header: must be an HTTP header name",
        ),
        (
            lambda d: d["sources"][1].update(include=["ok", "/(unclosed/"]),
            "sources[1].include[1]: is not a valid regular expression",
        ),
        (lambda d: d["sources"][1].update(exclude="word"), "sources[1].exclude: must be a list"),
        (lambda d: d.update(sources={}), "sources: must be a list"),
        (lambda d: d["sources"].append("feed"), "sources[3]: must be a JSON object"),
        (
            lambda d: d.update(settings={"retention_days": 0}),
            "settings.retention_days: must be a whole number ≥ 1",
        ),
        (
            lambda d: d.update(settings={"quiet_hours": {"start": "25:00"}}),
            'settings.quiet_hours.start: must be a time of day as "HH:MM"',
        ),
        (
            lambda d: d.update(settings={"quiet_hours": {"days": [1, 7]}}),
            "settings.quiet_hours.days[1]: must be a weekday 0–6",
        ),
        (
            lambda d: d.update(settings={"proxy": "proxy.example:3128"}),
            "settings.proxy: must be a proxy URL",
        ),
        (lambda d: d.update(version=2), "version: the file was written by a newer Live Updates"),
    ],
)
def test_invalid_fields_are_named_with_the_file(tmp_path: Path, change: Any, message: str) -> None:
    data = valid_file()
    change(data)
    path = write(tmp_path / "config.json", data)
    before = path.read_bytes()
    with pytest.raises(ConfigError) as caught:
        ConfigStore(path).load()
    assert str(caught.value).startswith(f"{path}: ")
    assert message in str(caught.value)
    assert path.read_bytes() == before
    assert not list(tmp_path.glob("*.corrupt-*"))  # valid JSON: no backup needed


def test_a_file_that_is_not_an_object_is_explained(tmp_path: Path) -> None:
    path = write(tmp_path / "config.json", ["https://example.test/feed"])
    with pytest.raises(ConfigError, match="must hold a JSON object"):
        ConfigStore(path).load()


def test_unknown_keys_are_ignored(tmp_path: Path) -> None:
    data = valid_file()
    data["theme"] = "dark"
    data["sources"][0]["colour"] = "teal"
    path = write(tmp_path / "config.json", data)
    assert [s.name for s in ConfigStore(path).load().sources] == [
        "Source 0",
        "Source 1",
        "Source 2",
    ]


def test_a_password_typed_into_the_file_is_not_written_back(tmp_path: Path) -> None:
    data = valid_file()
    data["sources"][0].update(auth="basic", username="reader", password="hunter2-secret")
    store = ConfigStore(write(tmp_path / "config.json", data))
    store.update(lambda c: with_source(c, feed("n9", "New one")))
    text = store.path.read_text(encoding="utf-8")
    assert "hunter2-secret" not in text
    assert '"username": "reader"' in text


def test_defaults_fill_missing_fields_and_whole_floats_count(tmp_path: Path) -> None:
    raw: dict[str, Any] = {"id": "x", "name": "X", "url": "https://e.test/", "kind": "livepage"}
    raw["interval_minutes"] = 3.0
    data = {"sources": [raw]}
    source = ConfigStore(write(tmp_path / "config.json", data)).load().sources[0]
    assert (source.enabled, source.notify, source.auth, source.interval_minutes) == (
        True,
        True,
        AuthKind.NONE,
        3,
    )


def test_a_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(valid_file()).encode())
    assert len(ConfigStore(path).load().sources) == 3


def test_saving_an_invalid_config_raises_and_keeps_the_file(tmp_path: Path) -> None:
    store = ConfigStore(tmp_path / "config.json")
    store.save(FULL)
    before = store.path.read_bytes()
    clash = with_source(FULL, feed("z9", "harbour watch"))
    with pytest.raises(ConfigError, match=r"sources\[3\]\.name: another source"):
        store.save(clash)
    assert store.path.read_bytes() == before


def test_update_that_fails_changes_nothing(tmp_path: Path) -> None:
    store = ConfigStore(tmp_path / "config.json")
    store.save(FULL)
    before = store.path.read_bytes()

    def boom(_: Config) -> Config:
        raise RuntimeError("dialog crashed")

    with pytest.raises(RuntimeError):
        store.update(boom)
    assert store.path.read_bytes() == before


def test_update_returns_what_it_saved(tmp_path: Path) -> None:
    store = ConfigStore(tmp_path / "config.json")
    saved = store.update(lambda c: replace(c, settings=replace(c.settings, retention_days=7)))
    assert saved.settings.retention_days == 7
    assert store.load() == saved


ADDER = """
import sys
from pathlib import Path
from widget.core.models import Source, SourceKind
from widget.storage.config import ConfigStore, with_source

store = ConfigStore(Path(sys.argv[1]))
for n in range(15):
    s = Source(id=f"{sys.argv[2]}{n}", name=f"{sys.argv[2]} {n}", url="https://e.test/f",
               kind=SourceKind.FEED)
    store.update(lambda c: with_source(c, s))
"""


def test_concurrent_updates_from_processes_and_threads_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    procs = [
        subprocess.Popen([sys.executable, "-c", ADDER, str(path), tag], stderr=subprocess.PIPE)
        for tag in ("proc-a", "proc-b")
    ]
    store = ConfigStore(path)
    errors: list[BaseException] = []

    def add(tag: str) -> None:
        try:
            for n in range(15):
                store.update(partial(with_source, source=feed(f"{tag}{n}", f"{tag} {n}")))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=add, args=(t,)) for t in ("thr-a", "thr-b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
    assert errors == []
    assert len(store.load().sources) == 60


def test_source_helpers(tmp_path: Path) -> None:
    ids = {new_source_id() for _ in range(200)}
    assert len(ids) == 200 and all(len(i) == 12 and i.isalnum() for i in ids)
    config = FULL
    assert name_taken(config, " harbour WATCH ")
    assert not name_taken(config, "Harbour Watch", except_id="a1")
    assert unique_name(config, "Harbour Watch") == "Harbour Watch (2)"
    assert unique_name(config, "Weather desk") == "Weather desk"
    renamed = with_source(config, replace(config.sources[0], name="Harbour Watch (night)"))
    assert [s.id for s in renamed.sources] == ["a1", "b2", "c3"]
    assert renamed.sources[0].name == "Harbour Watch (night)"
    assert [s.id for s in without_source(config, "b2").sources] == ["a1", "c3"]


def test_source_problems_for_the_settings_dialog() -> None:
    others = FULL.sources
    editing = replace(others[0], url="https://example.test/new.xml")
    assert source_problems(editing, others) == {}
    bad = Source(
        id="new",
        name="valley radio LIVE",
        url="example.test/feed",
        kind=SourceKind.FEED,
        interval_minutes=0,
        auth=AuthKind.HEADER,
    )
    problems = source_problems(bad, others)
    assert set(problems) == {"name", "url", "interval_minutes", "auth_header"}
    assert problems["name"] == "another source is already called 'Valley Radio live'"


class _CountingName(str):
    """A source name that counts how often it is compared (folded): the work a load does."""

    calls = 0

    def strip(self, chars: str | None = None) -> str:
        _CountingName.calls += 1
        return _CountingName(str.strip(self, chars))


def test_loading_many_sources_compares_each_name_a_bounded_number_of_times() -> None:
    # 8,000 sources once took 20 s: every source's name was compared with every earlier one.
    from widget.storage.config_schema import config_from_json, config_to_json

    count = 2_000
    sources = tuple(feed(f"s{i}", f"Desk {i}") for i in range(count))
    data = config_to_json(Config(sources=sources), 1)
    for raw in data["sources"]:
        raw["name"] = _CountingName(raw["name"])
    _CountingName.calls = 0
    loaded = config_from_json(data, "config.json", 1)
    assert len(loaded.sources) == count
    assert _CountingName.calls <= 5 * count


def test_a_repeated_name_or_id_among_many_sources_is_named() -> None:
    from widget.storage.config_schema import config_from_json, config_to_json

    sources = [feed(f"s{i}", f"Desk {i}") for i in range(50)]
    data = config_to_json(Config(sources=(*sources, feed("s50", " desk 7 "))), 1)
    with pytest.raises(
        ConfigError, match=r"sources\[50\]\.name: another source is already called 'Desk 7'"
    ):
        config_from_json(data, "config.json", 1)
    data = config_to_json(Config(sources=(*sources, feed("s7", "Other"))), 1)
    with pytest.raises(
        ConfigError, match=r"sources\[50\]\.id: 's7' is already the id of sources\[7\]"
    ):
        config_from_json(data, "config.json", 1)


@pytest.mark.parametrize(
    "change",
    [
        lambda d: d["settings"].update(highlight_words=["storm", "/(a+)+$/"]),
        lambda d: d["sources"][1].update(include=["ok", "/(a+)+$/"]),
        lambda d: d["sources"][1].update(exclude=["/(a+)+$/i"]),
    ],
)
def test_a_regex_that_could_hang_is_refused_at_load_naming_it(tmp_path: Path, change: Any) -> None:
    store = ConfigStore(tmp_path / "config.json")
    store.save(FULL)
    data = json.loads(store.path.read_text(encoding="utf-8"))
    change(data)
    store.path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"the regex '/\(a\+\)\+\$/i?' repeats a group"):
        store.load()
