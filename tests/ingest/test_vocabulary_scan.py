"""The vocabulary scan tries its patterns only at words that can start a match: it must find what a
plain ``finditer`` over the whole text finds, on tricky texts and on every cell of the bundled and
shared files."""

from __future__ import annotations

import csv
import os
import re
import unicodedata
from pathlib import Path

import pytest

from events.evidence import VOCABULARY, says_energy, site_types_in_text
from events.ingest import sample_events_path

TRICKY = [
    "Ночью дроны атаковали Рязанский НПЗ",
    "xнпз and 5нпз are not words; нпз-2 is",
    "нефтебазаНПЗ, НПЗ/ТЭЦ, ж/д станция, ж / д перегон",
    "İstanbul: refinery, İ then нефтебаза",  # a letter whose lower case is two characters
    "oil_depot rail_line _trains trains",
    "the rails, trains and a power outage; electricity cut",
    "Пожежа на нафтобазі; підстанцію знеструмлено",
    "refineryrefinery refinery-refinery",
    "ПС 110 кВ and PS-220kV substation, ПС110 кВ",
    "ÉNERGIE raffineria di Priolo, oleodotto, centrale termoelettrica",
    "",
    "   ",
]


def _reference(text: str) -> dict[str, list[str]]:
    """``site_types_in_text`` as a plain ``finditer`` over the whole text gives it."""
    normal = unicodedata.normalize("NFKC", text).replace("ё", "е").replace("Ё", "Е")
    groups = [f"(?P<{t}>{'|'.join(f'(?:{p})' for p in ps)})" for t, ps in VOCABULARY.items()]
    found: dict[str, list[str]] = {}
    for match in re.finditer("|".join(groups), normal, re.IGNORECASE):
        bucket = found.setdefault(match.lastgroup or "", [])
        word = match.group(0).strip().lower()
        if word not in bucket:
            bucket.append(word)
    if "rail_junction" in found and "rail_line" in found:
        found.pop("rail_line")
    if "oil_terminal" in found and "port" in found:
        found.pop("port")
    return found


def _cells(path: Path) -> list[str]:
    with path.open(newline="", encoding="utf-8", errors="replace") as f:
        return [cell for row in csv.reader(f) for cell in row if any(ch.isalpha() for ch in cell)]


@pytest.mark.parametrize("text", TRICKY)
def test_tricky_texts_match_as_finditer_does(text: str) -> None:
    assert site_types_in_text(text) == _reference(text)


def test_words_inside_other_words_never_count() -> None:
    assert site_types_in_text("xнпз 5нпз") == {}
    assert site_types_in_text("нпз-2") == {"refinery": ["нпз"]}
    assert site_types_in_text("İstanbul refinery") == {"refinery": ["refinery"]}
    assert says_energy("power outage after the strike") == ["power outage"]


def test_every_cell_of_the_bundled_and_shared_files_matches_as_finditer_does() -> None:
    paths = [sample_events_path(), *sorted(Path(sample_events_path()).parent.glob("*.csv"))]
    shared = Path(os.environ.get("STRIKEDB_SHARED_DATA", Path(__file__).resolve().parents[3] / "shared" / "data"))
    if shared.is_dir():
        paths += sorted(shared.rglob("*.csv"))[:20]
    texts = list(dict.fromkeys(cell for path in paths for cell in _cells(Path(path))))
    assert len(texts) > 100
    assert [t for t in texts if site_types_in_text(t) != _reference(t)] == []
