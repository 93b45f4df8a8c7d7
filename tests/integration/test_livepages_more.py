"""More live pages shaped like real publishers' pages, checked through the command line.

The pages in ``tests/fixtures/livepages/more/`` (described in ``expected_more.json``, same schema
as ``expected.json``) are served, added and polled exactly as in ``test_livepages``: the source
must stay a live page, and the updates' titles, links and dates, the page's key points and the
absence of site chrome are compared with what a reader of the page would expect.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.integration.test_livepages import CLI_KIND, FIXTURES, _check_page, _serve
from tests.support.feeds import json_lines, run_cli
from tests.support.server import LoopbackServer

EXPECTED: list[dict[str, Any]] = json.loads((FIXTURES / "expected_more.json").read_text("utf-8"))

Capsys = pytest.CaptureFixture[str]


@pytest.mark.parametrize("case", [pytest.param(c, id=Path(c["file"]).stem) for c in EXPECTED])
def test_live_page(
    case: dict[str, Any], home: Path, server: LoopbackServer, capsys: Capsys
) -> None:
    url = _serve(server, case)
    code, _out, err = run_cli(capsys, "sources", "add", url)
    assert code == 0, f"sources add refused the live page: {err.strip()}"
    code, out, err = run_cli(capsys, "sources", "list", "--json")
    [source] = json.loads(out)
    assert (source["url"], source["kind"]) == (url, CLI_KIND[case["kind"]]), (
        "the pasted live page must stay the source, as a live page"
    )

    code, out, err = run_cli(capsys, "check", "--json")
    assert (code, err) == (0, ""), err
    checked = json_lines(out)
    problems = _check_page(case, url, checked)

    code, out, err = run_cli(
        capsys, "entries", "--json", "--limit", "1000", "--source", source["name"]
    )
    assert code == 0, err
    stored = json_lines(out)
    if len(stored) != len(checked):
        problems.append(f"check printed {len(checked)} entries, the store holds {len(stored)}")
    assert not problems, f"{case['file']} ({case['cms_shape']}):\n  " + "\n  ".join(problems)


def test_expected_more_describes_every_page() -> None:
    """Every page in more/ has its expectations, and the expectations are consistent."""
    described = {c["file"] for c in EXPECTED}
    pages = {f"more/{p.name}" for p in (FIXTURES / "more").glob("*.html")}
    assert described == pages
    assert len(pages) >= 12
    shapes = {c["cms_shape"] for c in EXPECTED}
    assert len(shapes) == len(EXPECTED)
    for case in EXPECTED:
        assert case["kind"] == "live_page"
        assert len(case["titles"]) == len(case["links"]) == case["updates"], case["file"]
        assert len(case.get("published", case["titles"])) == case["updates"], case["file"]
        assert all(link.startswith(("{page}", "https://")) for link in case["links"])
