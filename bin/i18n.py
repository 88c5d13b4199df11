"""Refresh the message catalogues and fill Swedish and English from locale/translations.tsv.

Run as `.venv/bin/python bin/i18n.py` after changing UI texts: it lists every Finnish text still without a
translation and exits non-zero if any remain. bin/test runs it, so an untranslated text fails the build.
"""

import subprocess
import sys
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
TABLE = ROOT / "locale" / "translations.tsv"
LANGUAGES = {"sv": 1, "en": 2}


def load_table() -> dict[str, tuple[str, str]]:
    rows = {}
    for line in TABLE.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        fi, sv, en = line.split("\t")
        rows[fi] = (sv, en)
    return rows


def main() -> int:
    subprocess.run(  # noqa: S603
        [
            sys.executable,
            "manage.py",
            "makemessages",
            "-l",
            "sv",
            "-l",
            "en",
            "--no-obsolete",
            "--no-location",
            "--ignore=.venv",
            "--ignore=node_modules",
            "--ignore=tests",
            "--ignore=bench",
            "--verbosity=0",
        ],
        cwd=ROOT,
        check=True,
        env={"DJANGO_SETTINGS_MODULE": "sibcase.settings.test", "PATH": "/usr/bin:/bin"},
    )
    table = load_table()
    missing: set[str] = set()
    for language, column in LANGUAGES.items():
        path = ROOT / "locale" / language / "LC_MESSAGES" / "django.po"
        catalogue = polib.pofile(str(path))
        for entry in catalogue:
            key = f"{entry.msgid}|{entry.msgid_plural}" if entry.msgid_plural else entry.msgid
            if key not in table:
                missing.add(key)
                continue
            text = table[key][column - 1]
            if entry.msgid_plural:
                one, many = text.split("|")
                entry.msgstr_plural = {0: one, 1: many}
            else:
                entry.msgstr = text
            if "fuzzy" in entry.flags:
                entry.flags.remove("fuzzy")
        catalogue.save(str(path))
    for key in sorted(missing):
        print(f"no translation: {key!r}")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
