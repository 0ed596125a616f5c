"""The spellings of first-level regions that the readers meet, by ISO 3166-2 code.

The table is data, ``events/data/region_names.csv``: one row per region of Ukraine, Russia and
Belarus, with its ISO 3166-2 code (``iso_3166_2``), the one canonical English ``name`` strikedb
stores, and the other ``spellings`` seen in event files and boundary data, separated by ``|``.
The table is documented in ``docs/csv-format.md`` (Regions); :mod:`events.geo.regions` folds
every spelling (case, accents, Cyrillic transliterated, words such as "oblast" or "krai" dropped,
Russian/Ukrainian adjective endings unified), so each spelling here stands for many: "Харківська
область", "Kharkivs'ka oblast" and "Kharkivska" all come from the rows of UA-63. The local names
of the ISO standard (``pycountry``: "Kharkivska oblast", "Ryazanskaya oblast'") are added
automatically, as are pycountry's names for every other country.

The spellings come from: ISO 3166-2 (English and local), Wikipedia's English names, GeoNames
admin-1 names as bundled in ``events/data/admin1.geojson`` ("Rjazan", "Kiev", "Nizjnij
Novgorod", "Voronezj"), Natural Earth, ACLED and UCDP GED exports ("Kharkiv", "Kyiv City"), and
Russian and Ukrainian forms (Cyrillic, and the older Russian-based transliterations "Kharkov",
"Nikolaev", "Zaporozhye").

Ambiguous bare names follow GeoNames and ACLED: "Kyiv"/"Kiev" alone is the oblast (UA-32), the
city is "Kyiv City" / "місто Київ" (UA-30); "Moscow"/"Москва" alone is the city (RU-MOW), the
oblast is "Moscow Oblast" / "Moskovskaya" (RU-MOS); "Altai"/"Altay" alone is the republic (RU-AL),
the krai is "Altai Krai" (RU-ALT); "Minsk" alone is the city (BY-HM), the voblast "Minsk
Region" / "Minskaya" (BY-MI).
"""

from __future__ import annotations

import csv
from importlib.resources import files


def read_region_spellings() -> tuple[tuple[str, str, str], ...]:
    """Return the rows of ``events/data/region_names.csv``: (ISO 3166-2 code, English name, spellings)."""
    with (files("events") / "data" / "region_names.csv").open(encoding="utf-8", newline="") as handle:
        return tuple((row["iso_3166_2"], row["name"], row["spellings"]) for row in csv.DictReader(handle))


#: (ISO 3166-2 code, canonical English name, other spellings separated by "|"), in file order.
REGION_SPELLINGS: tuple[tuple[str, str, str], ...] = read_region_spellings()

__all__ = ["REGION_SPELLINGS", "read_region_spellings"]
