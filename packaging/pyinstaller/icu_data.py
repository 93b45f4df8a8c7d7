"""A smaller ICU data library for the Linux bundle.

Qt links ICU, and the PySide6 wheel ships ICU's whole data library (``libicudata.so.73``, 31 MB:
every locale's display names, currencies, units, collation tailorings, break-iterator
dictionaries and legacy character-set converters). The app uses none of Qt's ICU-backed locale
services (``QCollator``, ``QLocale`` names, ``QTimeZone`` display names, ``QStringConverter`` for
legacy encodings): it formats, decodes and compares text in Python. What Qt's own code can reach
stays: the Unicode core (normalisation, properties, names, IDNA, confusables), every tree's root
bundle (so a lookup for any locale falls back to root instead of failing), the supplemental and
time-zone data, the converter alias table and the root collation. About 3 MB are left.

The data is an ICU "common data" package (``CmnD``): a header, a table of contents sorted by
item name (ICU looks items up by binary search) and 16-byte aligned items. The new package keeps
the original header and the kept items byte for byte; ``build_library`` wraps it in a shared
library with the same soname and data symbol, using binutils' ``as`` and ``ld`` (which
PyInstaller needs on Linux anyway).

    python packaging/pyinstaller/icu_data.py SRC_LIB OUT_LIB     # prints what it kept
"""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

MAGIC = b"\xda\x27"
FORMAT = b"CmnD"
ALIGN = 16
# A per-locale bundle: "de.res", "sr_Latn_BA.res", "de__PHONEBOOK.res", "de_.res".
LOCALE_RES = re.compile(r"^[a-z]{2,3}(_[A-Za-z0-9]*)*\.res$")
ROOTS = {"root.res", "res_index.res", "pool.res"}
# Transliteration, spelled-out numbers and break iterators: Qt finds text boundaries with its
# own Unicode tables and uses neither of the others.
DROPPED_TREES = {"translit", "rbnf", "brkitr"}


class IcuDataError(Exception):
    """The library does not hold ICU common data in the expected form."""


@dataclass(frozen=True)
class Package:
    header: bytes  # the data header, verbatim (little-endian, ASCII family)
    prefix: str  # "icudt73l/"
    items: dict[str, bytes]  # item name without the prefix → its bytes (with trailing padding)

    def size(self) -> int:
        return len(pack(self))


def keep(name: str) -> bool:
    """Whether an item (name without the package prefix) stays in the bundle's ICU data."""
    tree, _, base = name.rpartition("/")
    if tree in DROPPED_TREES:
        return False
    if base in ROOTS:
        return True
    if tree == "":
        # Unicode core (.icu, .nrm, .spp, .cfu) and supplemental .res stay; legacy converters
        # (.cnv; UTF-8/16/32, Latin-1 and ASCII are built into ICU's code) and locales go.
        return not base.endswith(".cnv") and not LOCALE_RES.match(base)
    if tree == "coll":
        return base == "ucadata.icu"  # the root collation's table
    if tree == "zone":
        return base == "tzdbNames.res"
    return False  # display names (lang, region, curr, unit, zone)


def data_symbol(lib: bytes) -> tuple[str, int, int]:
    """Name, file offset and size of the ``icudtNN_dat`` symbol in an ELF64 little-endian
    shared library (its dynamic symbol table)."""
    if lib[:4] != b"\x7fELF" or lib[4] != 2 or lib[5] != 1:
        raise IcuDataError("not a 64-bit little-endian ELF library")
    shoff, shentsize, shnum = (
        struct.unpack_from("<Q", lib, 0x28)[0],
        *struct.unpack_from("<HH", lib, 0x3A),
    )
    sections = [struct.unpack_from("<IIQQQQIIQQ", lib, shoff + i * shentsize) for i in range(shnum)]
    for _name, kind, _flags, _addr, offset, size, link, _info, _align, entsize in sections:
        if kind != 11:  # SHT_DYNSYM
            continue
        strtab = sections[link][4]
        for at in range(offset, offset + size, entsize):
            st_name, _st_info, _other, shndx, value, st_size = struct.unpack_from(
                "<IBBHQQ", lib, at
            )
            name = lib[strtab + st_name : lib.index(b"\0", strtab + st_name)].decode("ascii")
            if re.fullmatch(r"icudt\d+_dat", name) and 0 < shndx < shnum:
                _, _, _, sec_addr, sec_offset, *_ = sections[shndx]
                return name, value - sec_addr + sec_offset, st_size
    raise IcuDataError("no icudtNN_dat symbol: not an ICU data library")


def unpack(blob: bytes) -> Package:
    """Split a common-data package (exactly its bytes) into header and items."""
    if blob[2:4] != MAGIC or blob[12:16] != FORMAT:
        raise IcuDataError("not an ICU common data (CmnD) package")
    (header_size,) = struct.unpack_from("<H", blob, 0)
    big_endian, charset = blob[8], blob[9]
    if big_endian != 0 or charset != 0:
        raise IcuDataError("only little-endian ASCII ICU data is supported")
    toc = header_size
    (count,) = struct.unpack_from("<I", blob, toc)
    if count == 0:
        raise IcuDataError("the ICU data package is empty")
    entries = [struct.unpack_from("<II", blob, toc + 4 + 8 * i) for i in range(count)]
    names = [blob[toc + n : blob.index(b"\0", toc + n)].decode("ascii") for n, _ in entries]
    prefix = names[0].split("/", 1)[0] + "/"
    if not all(n.startswith(prefix) for n in names):
        raise IcuDataError(f"item names do not share the package prefix {prefix!r}")
    ends = [d for _, d in entries[1:]] + [len(blob) - toc]  # the last item runs to the end
    items = {
        name.removeprefix(prefix): blob[toc + data : toc + end]
        for name, (_, data), end in zip(names, entries, ends, strict=True)
    }
    return Package(blob[:toc], prefix, items)


def pack(package: Package) -> bytes:
    """The package as ICU reads it: header, sorted table of contents, names, aligned items."""
    names = sorted(package.items)
    full = [(package.prefix + n).encode("ascii") + b"\0" for n in names]
    toc_size = 4 + 8 * len(names)
    name_area = b"".join(full)
    header = package.header
    data_start = _align(len(header) + toc_size + len(name_area)) - len(header)
    entries, chunks, name_at, data_at = [], [], toc_size, data_start
    for name, encoded in zip(names, full, strict=True):
        body = package.items[name]
        entries.append(struct.pack("<II", name_at, data_at))
        chunks.append(body + b"\0" * (_align(len(body)) - len(body)))
        name_at += len(encoded)
        data_at += len(chunks[-1])
    toc = struct.pack("<I", len(names)) + b"".join(entries)
    pad = b"\0" * (data_start - toc_size - len(name_area))
    return header + toc + name_area + pad + b"".join(chunks)


def _align(n: int) -> int:
    return (n + ALIGN - 1) // ALIGN * ALIGN


def read_library(path: Path) -> tuple[str, Package]:
    """The data symbol's name and the package it holds."""
    lib = path.read_bytes()
    symbol, offset, size = data_symbol(lib)
    return symbol, unpack(lib[offset : offset + size])


def trimmed(package: Package) -> Package:
    items = {name: body for name, body in package.items.items() if keep(name)}
    return Package(package.header, package.prefix, items)


def build_library(data: bytes, out: Path, soname: str, symbol: str) -> None:
    """Write a shared library named ``soname`` that exports ``symbol`` holding ``data``."""
    tools = {tool: shutil.which(tool) for tool in ("as", "ld")}
    missing = [tool for tool, path in tools.items() if path is None]
    if missing:
        raise IcuDataError(f"{' and '.join(missing)} not found: install binutils")
    with tempfile.TemporaryDirectory(prefix="icudata-") as tmp:
        folder = Path(tmp)
        (folder / "data.bin").write_bytes(data)
        (folder / "data.s").write_text(
            "\n".join(
                [
                    '\t.section .rodata,"a"',
                    f"\t.globl {symbol}",
                    f"\t.type {symbol}, @object",
                    f"\t.balign {ALIGN}",
                    f"{symbol}:",
                    '\t.incbin "data.bin"',
                    f"\t.size {symbol}, . - {symbol}",
                    '\t.section .note.GNU-stack,"",@progbits',
                    "",
                ]
            ),
            encoding="ascii",
        )
        for command in (
            [str(tools["as"]), "-o", "data.o", "data.s"],
            [str(tools["ld"]), "-shared", "-soname", soname, "-o", str(out.resolve()), "data.o"],
        ):
            done = subprocess.run(command, cwd=folder, capture_output=True, text=True)
            if done.returncode != 0:
                raise IcuDataError(f"{command[0]} failed: {done.stderr.strip()}")


def trim_library(src: Path, out: Path) -> tuple[Package, Package]:
    """Write ``out``: ``src`` (libicudataNN.so) with only the items ``keep`` accepts."""
    symbol, full = read_library(src)
    small = trimmed(full)
    build_library(pack(small), out, soname=src.name, symbol=symbol)
    return full, small


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[-1].strip(), file=sys.stderr)
        return 2
    full, small = trim_library(Path(argv[0]), Path(argv[1]))
    print(
        f"ICU data: kept {len(small.items)} of {len(full.items)} items, "
        f"{small.size() / 1e6:.1f} MB of {full.size() / 1e6:.1f} MB"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
