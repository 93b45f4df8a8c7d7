"""The engine takes new HTTP settings without a restart; an unusable proxy changes nothing."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from tests.support.feeds import RSS, Post, rss
from tests.support.server import LoopbackServer
from widget.core.errors import ConfigError
from widget.core.models import Config, Settings, Source, SourceKind
from widget.engine.poll import Engine
from widget.storage.config import ConfigStore
from widget.storage.db import Database


def test_an_unusable_proxy_is_refused_and_checks_go_on_as_before(
    tmp_path: Path, server: LoopbackServer
) -> None:
    url = server.route("/h.xml", rss([Post("h-1", "Ferries resume")]), content_type=RSS)
    config = ConfigStore(tmp_path / "config.json")
    config.save(Config(sources=(Source(id="h", name="Harbour", url=url, kind=SourceKind.FEED),)))
    db = Database.open(tmp_path / "entries.sqlite3")
    engine = Engine(config, db, host_gap_s=0)
    try:
        assert not engine.apply_settings(Settings())  # nothing changed: the client stays
        with pytest.raises(ConfigError, match="SOCKS proxies are not supported"):
            engine.apply_settings(replace(Settings(), proxy="socks5://127.0.0.1:1080"))
        [result] = engine.poll(force=True).results
        assert result.error is None and len(server.requests_for("/h.xml")) == 1
        assert engine.apply_settings(replace(Settings(), max_response_mb=1))
    finally:
        engine.close()
        db.close()
