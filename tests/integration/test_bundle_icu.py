"""The Linux bundle's smaller ICU data library (packaging/pyinstaller/icu_data.py): it keeps what
Qt's own code reaches, byte for byte, in a package ICU can read, and Qt behaves the same with it
for everything the app shows."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _icu_data() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "icu_data", ROOT / "packaging" / "pyinstaller" / "icu_data.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["icu_data"] = module  # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)
    return module


icu_data = _icu_data()


def _qt_icu_library() -> Path:
    import PySide6

    found = sorted((Path(PySide6.__file__).parent / "Qt" / "lib").glob("libicudata.so.*"))
    if not sys.platform.startswith("linux") or not found:
        pytest.skip("the PySide6 wheel ships its ICU data library on Linux only")
    return found[0]


@pytest.fixture(scope="module")
def small_library(tmp_path_factory: pytest.TempPathFactory) -> Path:
    for tool in ("as", "ld"):
        if shutil.which(tool) is None:
            message = f"{tool} is not installed: install binutils (tests/run.sh does)"
            if os.environ.get("LIVE_UPDATES_REQUIRE_TOOLS"):  # set by tests/run.sh
                pytest.fail(message)
            pytest.skip(message)
    src = _qt_icu_library()
    out = tmp_path_factory.mktemp("icu") / src.name
    icu_data.trim_library(src, out)
    return out


@pytest.mark.parametrize(
    ("item", "kept"),
    [
        ("nfkc.nrm", True),  # normalisation
        ("uts46.nrm", True),  # IDNA
        ("unames.icu", True),
        ("cnvalias.icu", True),
        ("confusables.cfu", True),
        ("root.res", True),
        ("supplementalData.res", True),
        ("likelySubtags.res", True),
        ("zoneinfo64.res", True),
        ("coll/ucadata.icu", True),  # the root collation
        ("coll/root.res", True),
        ("zone/root.res", True),
        ("lang/pool.res", True),
        ("de.res", False),  # a locale's data
        ("sr_Latn_BA.res", False),
        ("coll/de__PHONEBOOK.res", False),
        ("lang/fr.res", False),  # display names
        ("zone/ja.res", False),
        ("curr/en_GB.res", False),
        ("ibm-943_P15A-2003.cnv", False),  # legacy converters
        ("gb18030.cnv", False),
        ("brkitr/cjdict.dict", False),
        ("brkitr/root.res", False),
        ("translit/root.res", False),
        ("rbnf/root.res", False),
    ],
)
def test_which_icu_items_the_bundle_keeps(item: str, kept: bool) -> None:
    assert icu_data.keep(item) is kept


def test_the_small_library_holds_the_kept_items_byte_for_byte(small_library: Path) -> None:
    symbol, full = icu_data.read_library(_qt_icu_library())
    small_symbol, small = icu_data.read_library(small_library)
    assert small_symbol == symbol
    assert small.prefix == full.prefix and small.header == full.header
    wanted = {name for name in full.items if icu_data.keep(name)}
    assert set(small.items) == wanted
    # Items carry their alignment padding; what ICU reads of each is the original prefix.
    for name in wanted:
        assert small.items[name].startswith(full.items[name].rstrip(b"\0"))
    assert small_library.stat().st_size < 6e6 < 25e6 < _qt_icu_library().stat().st_size


def test_a_package_round_trips_unchanged() -> None:
    _symbol, full = icu_data.read_library(_qt_icu_library())
    again = icu_data.unpack(icu_data.pack(full))
    assert again == full


def test_a_library_without_icu_data_is_refused(tmp_path: Path) -> None:
    import PySide6

    not_icu = next((Path(PySide6.__file__).parent / "Qt" / "lib").glob("libQt6Svg.so.*"))
    with pytest.raises(icu_data.IcuDataError, match="icudtNN_dat"):
        icu_data.trim_library(not_icu, tmp_path / "out.so")
    with pytest.raises(icu_data.IcuDataError, match="ELF"):
        icu_data.read_library(Path(__file__))


# What the app shows goes through these Qt paths: upper/lower case, IDNA host names, line
# breaking in every script, widgets with bidirectional text. Locale-specific collation and
# localised time-zone names (which the app never asks Qt for) are the only things allowed to
# change, and they fall back to root rather than failing.
PROBE = r"""
import sys
from pathlib import Path
from PySide6.QtCore import QCollator, QLocale, QTimeZone, QUrl
from PySide6.QtGui import QFont, QTextLayout
from PySide6.QtWidgets import QApplication, QLabel, QLineEdit

app = QApplication(sys.argv)
maps = Path("/proc/self/maps").read_text()
print("icu", next(line.split()[-1] for line in maps.splitlines() if "libicudata" in line))
print("upper", QLocale("tr_TR").toUpper("istanbul"), QLocale("de_DE").toUpper("straße"))
print("lower", QLocale("el_GR").toLower("ΟΔΟΣ"))
print("idna", QUrl("https://bücher.example/").toString(QUrl.ComponentFormattingOption.FullyEncoded))
print("collate", QCollator(QLocale("en_GB")).compare("apple", "Banana") < 0)
zone = QTimeZone(b"Europe/Berlin")
print("zone", zone.isValid(), zone.id().data().decode())
for text in (
    "ภาษาไทยไม่มีช่องว่างระหว่างคำเลย",
    "日本語の文章は空白なしで書かれます",
    "עברית וערבית العربية معًا",
    "Ferry resumes after the storm",
):
    layout = QTextLayout(text, QFont("DejaVu Sans", 12))
    layout.beginLayout()
    lines = []
    while (line := layout.createLine()).isValid():
        line.setLineWidth(70)
        lines.append((line.textStart(), line.textLength()))
    layout.endLayout()
    print("lines", lines)
label = QLabel("مرحبا — Harbour watch 🎉")
edit = QLineEdit("Ünïcödé ﬁ İi")
label.show()
edit.show()
app.processEvents()
print("widgets", label.sizeHint().width() > 0, edit.text())
"""


def _probe(preload: Path | None) -> tuple[list[str], str]:
    """The probe's output lines and its stderr (Qt's warnings, such as a collator that cannot
    be made)."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    env.pop("LD_PRELOAD", None)
    if preload is not None:  # the preloaded library answers Qt's need for its soname
        env["LD_PRELOAD"] = str(preload)
    done = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines(), done.stderr


def test_qt_shows_text_the_same_with_the_small_icu_data(small_library: Path) -> None:
    (full, full_warnings), (small, small_warnings) = _probe(None), _probe(small_library)
    assert small_warnings == full_warnings
    assert small[0] == f"icu {small_library}"  # the small library was the one loaded
    assert full[0] == f"icu {_qt_icu_library()}"
    assert small[1:] == full[1:]
    assert "upper İSTANBUL STRASSE" in small
    assert "idna https://xn--bcher-kva.example/" in small
    assert "zone True Europe/Berlin" in small
    assert "collate True" in small
