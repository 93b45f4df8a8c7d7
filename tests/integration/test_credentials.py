"""Private sources end to end: the CLI reads the secret from stdin, GNOME Keyring (unlocked, on a
private test bus) keeps it, the engine sends it to the source's own origin only — never after a
redirect elsewhere — and no secret ever lands in the config, the data folder, logs or output.
Without any bus, nothing is saved and the CLI says why."""

from __future__ import annotations

import base64
import io
import json
import sys
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest

from tests.support.feeds import RSS, Post, posts, rss, run_cli
from tests.support.server import LoopbackServer
from tests.support.session import SessionBus, private_session_bus, unlocked_keyring
from widget.paths import AppPaths
from widget.storage.config import ConfigStore
from widget.storage.secrets import SecretStore

PASSWORD = "lighthouse-keeper-7f3a"
TOKEN = "Bearer tide-token-91bd"
Capsys = pytest.CaptureFixture[str]


@pytest.fixture(scope="module")
def keyring_bus() -> Iterator[SessionBus]:
    with private_session_bus() as bus, unlocked_keyring(bus):
        yield bus


@pytest.fixture
def keyring(keyring_bus: SessionBus, monkeypatch: pytest.MonkeyPatch) -> SecretStore:
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", keyring_bus.address)
    monkeypatch.delenv("PYTHON_KEYRING_BACKEND", raising=False)
    return SecretStore()


def guarded(header: str, expected: str, body: bytes) -> Callable[[BaseHTTPRequestHandler], None]:
    """A feed that answers only requests carrying ``header: expected``."""

    def handler(h: BaseHTTPRequestHandler) -> None:
        ok = h.headers.get(header) == expected
        data = body if ok else b"sign in first"
        h.send_response(200 if ok else 401)
        h.send_header("Content-Type", RSS if ok else "text/plain")
        if not ok and header == "Authorization":
            h.send_header("WWW-Authenticate", 'Basic realm="members"')
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)

    return handler


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def with_stdin(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(text))


def files_containing(root: Path, needle: str) -> list[Path]:
    data = needle.encode()
    return [
        p for p in root.rglob("*") if p.is_file() and not p.is_socket() and data in p.read_bytes()
    ]


def config_json(home: Path) -> dict[str, Any]:
    path = AppPaths.default().config_file
    assert path.is_relative_to(home)
    data = json.loads(path.read_text())
    assert isinstance(data, dict)
    return data


def only_source(home: Path) -> dict[str, Any]:
    [source] = config_json(home)["sources"]
    assert isinstance(source, dict)
    return source


@pytest.mark.keyring
def test_basic_password_round_trips_through_the_keyring_and_is_sent(
    home: Path,
    server: LoopbackServer,
    keyring: SecretStore,
    capsys: Capsys,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    feed = rss([Post("m-1", "Members' ferry briefing")], title="Harbour members")
    url = server.route(
        "/members.xml", handler=guarded("Authorization", basic("reader", PASSWORD), feed)
    )
    with_stdin(monkeypatch, PASSWORD + "\n")
    code, out, err = run_cli(
        capsys, "sources", "add", url, "--username", "reader", "--password-stdin"
    )
    assert (code, err) == (0, ""), err
    assert "Harbour members" in out

    source = only_source(home)
    assert (source["auth"], source["username"]) == ("basic", "reader")
    assert keyring.get(source["id"]) == PASSWORD

    server.route(
        "/members.xml",
        handler=guarded(
            "Authorization",
            basic("reader", PASSWORD),
            rss([Post("m-1", "Members' ferry briefing"), Post("m-2", "Second sailing added")]),
        ),
    )
    code, out, err = run_cli(capsys, "check")
    assert (code, err) == (0, ""), err
    assert "Second sailing added" in out
    sent = [r.headers.get("authorization") for r in server.requests_for("/members.xml")]
    assert sent and set(sent) == {basic("reader", PASSWORD)}

    code, out, _ = run_cli(capsys, "sources", "list", "--json")
    assert code == 0 and PASSWORD not in out
    assert files_containing(home, PASSWORD) == []  # config, database, log: nowhere on disk

    code, _, err = run_cli(capsys, "sources", "remove", "Harbour members")
    assert (code, err) == (0, "")
    assert keyring.get(source["id"]) is None  # removing a source removes its secret


@pytest.mark.keyring
def test_header_token_edit_and_no_auth(
    home: Path,
    server: LoopbackServer,
    keyring: SecretStore,
    capsys: Capsys,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    feed = rss(posts(2), title="Tide office")
    url = server.route("/tides.xml", handler=guarded("X-Api-Key", TOKEN, feed))
    with_stdin(monkeypatch, "wrong-token")
    code, _, err = run_cli(capsys, "sources", "add", url, "--header", "X-Api-Key", "--token-stdin")
    assert code == 1 and "401" in err and "wrong-token" not in err
    assert not AppPaths.default().config_file.exists()

    with_stdin(monkeypatch, TOKEN)
    code, _, err = run_cli(capsys, "sources", "add", url, "--header", "X-Api-Key", "--token-stdin")
    assert (code, err) == (0, "")
    source = only_source(home)
    assert (source["auth"], source["auth_header"]) == ("header", "X-Api-Key")
    assert keyring.get(source["id"]) == TOKEN

    server.route("/tides.xml", handler=guarded("X-Api-Key", TOKEN + "-rotated", feed))
    with_stdin(monkeypatch, TOKEN + "-rotated\n")
    code, _out, err = run_cli(
        capsys, "sources", "edit", "Tide office", "--header", "X-Api-Key", "--token-stdin"
    )
    assert (code, err) == (0, ""), err
    assert keyring.get(source["id"]) == TOKEN + "-rotated"
    code, _, err = run_cli(capsys, "check")
    assert (code, err) == (0, "")
    assert server.requests_for("/tides.xml")[-1].headers["x-api-key"] == TOKEN + "-rotated"

    code, _, err = run_cli(capsys, "sources", "edit", "Tide office", "--no-auth")
    assert (code, err) == (0, "")
    assert keyring.get(source["id"]) is None
    assert config_json(home)["sources"][0]["auth"] == "none"
    assert files_containing(home, "tide-token") == []


@pytest.mark.keyring
def test_a_redirect_to_another_host_does_not_carry_the_credentials(
    home: Path,
    server: LoopbackServer,
    keyring: SecretStore,
    capsys: Capsys,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with LoopbackServer() as elsewhere:
        target = elsewhere.route("/mirror.xml", rss(posts(1), title="Mirror"), content_type=RSS)
        url = server.route("/moved.xml", status=302, headers={"Location": target})
        with_stdin(monkeypatch, PASSWORD)
        code, _, err = run_cli(
            capsys, "sources", "add", url, "--username", "reader", "--password-stdin"
        )
        assert (code, err) == (0, ""), err
        # the probe followed the redirect, but a private source keeps the address typed
        assert config_json(home)["sources"][0]["url"] == url
        run_cli(capsys, "check")
        assert server.requests_for("/moved.xml")[0].headers["authorization"] == basic(
            "reader", PASSWORD
        )
        mirrored = elsewhere.requests_for("/mirror.xml")
        assert mirrored
        assert all("authorization" not in r.headers for r in mirrored)


@pytest.mark.keyring
@pytest.mark.parametrize(
    ("elsewhere_host", "chain"),
    [
        ("127.0.0.2", (301, 301)),  # another host, two permanent hops
        ("127.0.0.1", (308,)),  # the same host on another port
        ("127.0.0.2", (301, 308)),  # mixed permanent codes
    ],
)
def test_a_permanent_move_to_another_origin_never_takes_the_secret_along(
    home: Path,
    server: LoopbackServer,
    keyring: SecretStore,
    capsys: Capsys,
    monkeypatch: pytest.MonkeyPatch,
    elsewhere_host: str,
    chain: tuple[int, ...],
) -> None:
    feed = rss(posts(2), title="Harbour members")
    url = server.route(
        "/members.xml", handler=guarded("Authorization", basic("reader", PASSWORD), feed)
    )
    with_stdin(monkeypatch, PASSWORD)
    code, _, err = run_cli(
        capsys, "sources", "add", url, "--username", "reader", "--password-stdin"
    )
    assert (code, err) == (0, ""), err

    with LoopbackServer(elsewhere_host) as elsewhere:
        # the feed now answers with a chain of permanent redirects that ends on another origin
        # serving a feed to anyone, polled more often than it takes to move a public source
        target = elsewhere.route("/members.xml", rss(posts(3), title="Elsewhere"), content_type=RSS)
        hops = [f"/hop-{i}" for i in range(len(chain) - 1)]
        locations = [server.url(h) for h in hops] + [target]
        for path, status, location in zip(["/members.xml", *hops], chain, locations, strict=True):
            server.route(path, status=status, headers={"Location": location})
        for _ in range(4):
            run_cli(capsys, "check")

        assert elsewhere.requests_for("/members.xml"), "the redirect was followed"
        leaked = [r for r in elsewhere.requests if "authorization" in r.headers]
        assert leaked == []
        assert only_source(home)["url"] == url  # the stored address stays on its origin
        code, out, _ = run_cli(capsys, "sources", "list", "--json")
        [listed] = json.loads(out)
        assert "moved permanently to " + target in (listed["last_error"] or "")
        assert "not sent there" in listed["last_error"]
    # requests to the source's own origin still carry the password
    own = [r.headers.get("authorization") for r in server.requests_for("/members.xml")]
    assert set(own) == {basic("reader", PASSWORD)}


@pytest.mark.parametrize(
    "flags",
    [["--username", "reader", "--password-stdin"], ["--header", "Authorization", "--token-stdin"]],
)
def test_without_any_bus_nothing_is_saved_and_the_cli_says_why(
    home: Path,
    server: LoopbackServer,
    capsys: Capsys,
    monkeypatch: pytest.MonkeyPatch,
    flags: list[str],
) -> None:
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", "disabled:")
    url = server.route("/feed.xml", rss(posts(1)), content_type=RSS)
    with_stdin(monkeypatch, PASSWORD)
    code, out, err = run_cli(capsys, "sources", "add", url, *flags)
    assert code == 1 and out == ""
    assert "No usable keyring" in err and PASSWORD not in err
    assert not ConfigStore(AppPaths.default().config_file).load().sources
    assert files_containing(home, PASSWORD) == []
    assert server.requests_for("/feed.xml") == []  # not even fetched


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--username", "reader"], "needs both --username USER and --password-stdin"),
        (["--token-stdin"], "needs both --header NAME and --token-stdin"),
        (["--username", "a", "--password-stdin", "--header", "X", "--token-stdin"], "choose one"),
    ],
)
def test_incomplete_sign_in_options_are_usage_errors(
    home: Path, capsys: Capsys, monkeypatch: pytest.MonkeyPatch, flags: list[str], message: str
) -> None:
    with_stdin(monkeypatch, PASSWORD)
    code, _, err = run_cli(capsys, "sources", "add", "https://example.org/feed", *flags)
    assert code == 2 and message in err


def test_a_password_is_never_taken_from_argv(capsys: Capsys) -> None:
    code, _, err = run_cli(capsys, "sources", "add", "https://example.org/f", "--password", "x")
    assert code == 2 and "unrecognized arguments" in err


def test_opml_import_and_export_on_the_command_line(
    home: Path, capsys: Capsys, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    opml = tmp_path / "subs.opml"
    opml.write_bytes(
        b'<?xml version="1.0"?><opml version="1.0"><head><title>Subs</title></head><body>'
        b'<outline text="Coast"><outline text="Tide tables" type="rss" '
        b'xmlUrl="https://tides.example.org/rss"/><outline text="Lighthouse log" type="rss" '
        b'xmlUrl="https://lights.example.org/atom"/></outline>'
        b'<outline text="Tide tables again" xmlUrl="https://tides.example.org/rss/"/>'
        b"</body></opml>"
    )
    code, out, err = run_cli(capsys, "opml", "import", str(opml))
    assert (code, err) == (0, "")
    assert out.strip() == "2 sources added, 1 already present (skipped)."
    with_stdin(monkeypatch, "")
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(opml.read_bytes())))
    code, out, _ = run_cli(capsys, "opml", "import", "-")
    assert code == 0 and out.strip() == "0 sources added, 3 already present (skipped)."

    code, out, err = run_cli(capsys, "opml", "export", "-")
    assert (code, err) == (0, "")
    assert out.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<opml version="2.0">')
    assert '<outline text="Coast" title="Coast">' in out
    assert 'xmlUrl="https://lights.example.org/atom"' in out

    before = AppPaths.default().config_file.read_bytes()
    broken = tmp_path / "broken.opml"
    broken.write_text("<opml><body><outline text='x'></body>")
    code, out, err = run_cli(capsys, "opml", "import", str(broken))
    assert code == 1 and "not well-formed XML" in err and out == ""
    assert AppPaths.default().config_file.read_bytes() == before
