"""Small builders for test feeds and pages (invented headlines only) and a CLI runner."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

import pytest


@dataclass(frozen=True)
class Post:
    guid: str
    title: str
    link: str | None = None
    description: str = ""
    date: str | None = "Mon, 02 Mar 2026 10:00:00 +0000"


def rss(posts: Sequence[Post], title: str = "Harbour Town Bulletin") -> bytes:
    items = []
    for p in posts:
        parts = [
            f"<guid isPermaLink='false'>{escape(p.guid)}</guid>",
            f"<title>{escape(p.title)}</title>",
        ]
        if p.link is not None:
            parts.append(f"<link>{escape(p.link)}</link>")
        if p.description:
            parts.append(f"<description>{escape(p.description)}</description>")
        if p.date is not None:
            parts.append(f"<pubDate>{p.date}</pubDate>")
        items.append("<item>" + "".join(parts) + "</item>")
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
        f"<title>{escape(title)}</title><link>https://example.org/</link>"
        "<description>Test feed</description>" + "".join(items) + "</channel></rss>"
    ).encode()


def posts(n: int, prefix: str = "p") -> list[Post]:
    return [
        Post(
            f"{prefix}-{i}",
            f"Ferry timetable change number {i}",
            f"https://example.org/{prefix}/{i}",
        )
        for i in range(1, n + 1)
    ]


RSS = "application/rss+xml"


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Run ``live-updates ARGV`` in this process; returns (exit status, stdout, stderr)."""
    from widget.cli import main

    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def json_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]
