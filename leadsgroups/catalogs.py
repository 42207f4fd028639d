"""The translation catalogues in locale/: compiled to .mo with Babel, and checked for completeness.

Compiling needs no GNU gettext (a fresh machine may not have it): ``python -m leadsgroups.catalogs
compile`` turns every locale/<lang>/LC_MESSAGES/<domain>.po newer than its .mo into the .mo Django reads
(fuzzy entries left out, as msgfmt does). `make install`, `make test`, `make run` and the image call it.

``manage.py check_catalogs`` (CI, `make check-messages`) extracts the strings again with Django's
makemessages into a scratch copy and fails when the committed catalogues lack a string or when a German,
French or Spanish entry is untranslated or fuzzy.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
LOCALE = ROOT / "locale"
DOMAINS = ("django", "djangojs")


def read(path: Path):
    with open(path, "rb") as handle:
        return read_po(handle, abort_invalid=True)


def compile_all(locale_dir: Path = LOCALE, *, force: bool = False) -> list[Path]:
    """Write each .mo whose .po changed since; the written paths."""
    written = []
    for po in sorted(locale_dir.glob("*/LC_MESSAGES/*.po")):
        mo = po.with_suffix(".mo")
        if not force and mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        catalog = read(po)
        tmp = mo.with_suffix(".mo.tmp")
        with open(tmp, "wb") as handle:
            write_mo(handle, catalog, use_fuzzy=False)
        tmp.replace(mo)  # a server reading the catalogue never sees half a file
        written.append(mo)
    return written


def problems(catalog) -> list[str]:
    """Entries of a catalogue that are untranslated or fuzzy, as "msgid (file)" lines."""
    found = []
    for message in catalog:
        if not message.id:
            continue  # the header
        strings = message.string if isinstance(message.string, (list, tuple)) else [message.string]
        where = ", ".join(sorted({path for path, _ in message.locations})) or "?"
        label = message.id[0] if isinstance(message.id, (list, tuple)) else message.id
        if message.fuzzy:
            found.append(f"fuzzy: {label!r} ({where})")
        elif not all(strings):
            found.append(f"untranslated: {label!r} ({where})")
    return found


def keys(catalog) -> set:
    return {(m.context, m.id if isinstance(m.id, str) else tuple(m.id)) for m in catalog if m.id}


def merge(ours: Path, theirs: Path, out: Path) -> None:
    """Both sides' entries and translations in one catalogue (a git merge driver for .po files).

    Two branches that each translated their own strings both keep them; where both translated the same
    string differently, ours wins. `make messages` afterwards puts the file back in makemessages' order.
    """
    from babel.messages.pofile import write_po

    merged = read(ours)
    for message in read(theirs):
        if not message.id:
            continue
        mine = merged.get(message.id, context=message.context)
        if mine is None:
            merged[message.id] = message
        elif (not mine.string or mine.fuzzy) and message.string and not message.fuzzy:
            mine.string = message.string
            mine.flags.discard("fuzzy")
        if mine is not None:
            mine.locations = sorted(set(mine.locations) | set(message.locations))
    with open(out, "wb") as handle:
        write_po(handle, merged, width=79, include_lineno=False)


if __name__ == "__main__":
    if sys.argv[1:2] == ["compile"]:
        for path in compile_all(force="--force" in sys.argv):
            sys.stdout.write(f"compiled {path.relative_to(ROOT)}\n")
    elif sys.argv[1:2] == ["merge"] and len(sys.argv) == 5:  # git's merge driver: %O %A %B, result in %A
        merge(Path(sys.argv[3]), Path(sys.argv[4]), Path(sys.argv[3]))
    else:
        sys.exit("usage: python -m leadsgroups.catalogs compile [--force] | merge BASE OURS THEIRS")
