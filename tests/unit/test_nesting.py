"""The nesting guard: markup that would nest deeper than the tree's limit is flattened before it
is parsed, keeping every word, and floods of stray end tags deep in the tree cannot make the
parser search its whole stack of open elements once per tag."""

from __future__ import annotations

from selectolax.lexbor import LexborHTMLParser, LexborNode

from widget.sources import html

PAGE = "<!DOCTYPE html><html><head><title>Live</title></head><body><main>{}</main></body></html>"


def _depth(node: LexborNode) -> int:
    depth = 0
    parent = node.parent
    while parent is not None:
        depth += 1
        parent = parent.parent
    return depth


def _parse(markup: str) -> LexborHTMLParser:
    bounded = html.bound_nesting(markup.encode())
    assert isinstance(bounded, bytes)
    return LexborHTMLParser(bounded)


def test_a_deep_chain_is_flattened_and_keeps_its_words() -> None:
    chain = "<div>level " * 3000 + "bottom" + "</div>" * 3000
    tree = _parse(PAGE.format(chain))
    deepest = max(_depth(node) for node in tree.css("div"))
    assert deepest <= html.MAX_DEPTH
    text = tree.body.text() if tree.body is not None else ""
    assert text.count("level") == 3000 and text.endswith("bottom")


def test_a_deep_chain_among_many_shallow_lists_is_flattened_and_the_lists_kept() -> None:
    lists = "<ul><li>point<ul><li>inner</li></ul></li><li>second</li></ul>" * 2000
    chain = "<ul><li>level " * 1000 + "bottom" + "</li></ul>" * 1000
    tree = _parse(PAGE.format(chain + lists))
    assert max(_depth(node) for node in tree.css("li")) <= html.MAX_DEPTH
    main = tree.css_first("main")
    assert main is not None
    # every shallow list is still a list of its own, with its nested list inside (and the
    # chain opens with one such pair too)
    assert len(main.css("main > ul")) == 2001
    assert len(main.css("main > ul > li > ul > li")) == 2001


def test_stray_end_tags_deep_in_the_tree_are_dropped() -> None:
    # every "</p>" closes nothing; the parser would add an empty paragraph for each one
    flood = "<div>" * 600 + "words</p>" * 7000 + "</div>" * 600
    tree = _parse(PAGE.format(flood))
    assert tree.css("p") == []
    text = tree.body.text() if tree.body is not None else ""
    assert text.count("words") == 7000


def test_a_line_break_written_as_an_end_tag_stays_a_line_break() -> None:
    flood = "<div>" * 600 + "one</br>two" + "<span>x</span>" * 6000 + "</div>" * 600
    tree = _parse(PAGE.format(flood))
    assert tree.css("br") != []


def test_an_ordinary_page_with_stray_end_tags_is_left_as_it_is() -> None:
    posts = "<article><h2>Post</h2><p>Words.</p></p><div><span>x</span></div></article>" * 1500
    body = PAGE.format(posts).encode()
    assert body.count(b"<") > html.DEPTH_SCAN_TAGS
    assert html.bound_nesting(body) == body
