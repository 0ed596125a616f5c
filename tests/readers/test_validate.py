"""Field validators: dates, times, coordinates, vocabularies, grades, countries, URLs."""

from __future__ import annotations

import datetime as dt

import pytest

from events import validate as v
from events.validate import FieldError

TODAY = dt.date(2026, 1, 1)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-09-14", (dt.date(2025, 9, 14), "day")),
        ("2025-9-4", (dt.date(2025, 9, 4), "day")),
        ("2013-01-03 00:00:00.000", (dt.date(2013, 1, 3), "day")),
        ("2025-09-14T03:10:00Z", (dt.date(2025, 9, 14), "day")),
        ("2025/09/14", (dt.date(2025, 9, 14), "day")),
        ("14/09/2025", (dt.date(2025, 9, 14), "day")),
        ("03/04/2025", (dt.date(2025, 4, 3), "day")),  # day-first, never month-first
        ("14.09.2025", (dt.date(2025, 9, 14), "day")),
        ("14-09-2025", (dt.date(2025, 9, 14), "day")),
        ("26/10/25", (dt.date(2025, 10, 26), "day")),
        ("01/01/70", (dt.date(1970, 1, 1), "day")),
        ("14 September 2025", (dt.date(2025, 9, 14), "day")),
        ("14 Sept 2025", (dt.date(2025, 9, 14), "day")),
        ("14th Sep. 2025", (dt.date(2025, 9, 14), "day")),
        ("September 14, 2025", (dt.date(2025, 9, 14), "day")),
        ("14 settembre 2025", (dt.date(2025, 9, 14), "day")),
        ("14 сентября 2025", (dt.date(2025, 9, 14), "day")),
        ("28 December 2022", (dt.date(2022, 12, 28), "day")),
        # Russian and Ukrainian write the year with a word; spreadsheets write DD-Mon-YYYY / DD-Mon-YY.
        ("14 сентября 2025 г.", (dt.date(2025, 9, 14), "day")),
        ("14 сентября 2025 года", (dt.date(2025, 9, 14), "day")),
        ("14 вересня 2025 р.", (dt.date(2025, 9, 14), "day")),
        ("14 вересня 2025 року", (dt.date(2025, 9, 14), "day")),
        ("14-Sep-2025", (dt.date(2025, 9, 14), "day")),
        ("14-Sep-25", (dt.date(2025, 9, 14), "day")),
        ("14/Sep/2025", (dt.date(2025, 9, 14), "day")),
        ("вересень 2025 р.", (dt.date(2025, 9, 1), "month")),
        ("Sep-2025", (dt.date(2025, 9, 1), "month")),
        ("Sept 2025", (dt.date(2025, 9, 1), "month")),
        ("September 2025", (dt.date(2025, 9, 1), "month")),
        ("2025-09", (dt.date(2025, 9, 1), "month")),
        ("09/2025", (dt.date(2025, 9, 1), "month")),
        ("week of 2025-09-08", (dt.date(2025, 9, 8), "week")),
        ("Week of 08/09/2025", (dt.date(2025, 9, 8), "week")),
        ("  2025-09-14  ", (dt.date(2025, 9, 14), "day")),
    ],
)
def test_parse_date_accepts_documented_forms(text: str, expected: tuple[dt.date, str]) -> None:
    assert v.parse_date(text, today=TODAY) == expected


@pytest.mark.parametrize(
    ("text", "reason_part"),
    [
        ("", "missing"),
        ("09/14/2025", "day/month/year: 14 is not a month"),  # month-first is never guessed
        ("31/02/2025", "has no day 31"),
        ("1899-12-31", "before 1900"),
        ("2027-01-01", "future"),
        ("yesterday", "not a recognised date"),
        ("14 Septober 2025", "unknown month"),
        ("week of Sept 2025", "full date"),
        ("week of week of 2025-01-01", "not a recognised date"),
        ("2025-13-01", "not a month"),
        ("45914", "looks like a spreadsheet's day number, 2025-09-14"),  # said, never read as a date
        ("Sep-25", "not a recognised date"),  # September 2025, or the 25th?
    ],
)
def test_parse_date_rejects_with_reason(text: str, reason_part: str) -> None:
    with pytest.raises(FieldError, match=reason_part):
        v.parse_date(text, today=TODAY)


def test_parse_date_allows_tomorrow_for_time_zones() -> None:
    assert v.parse_date("2026-01-02", today=TODAY) == (dt.date(2026, 1, 2), "day")
    with pytest.raises(FieldError):
        v.parse_date("2026-01-03", today=TODAY)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("03:15", dt.time(3, 15)),
        ("3:15:20", dt.time(3, 15, 20)),
        ("03:15Z", dt.time(3, 15)),
        ("03:15 UTC", dt.time(3, 15)),
        ("03:15+03:00", dt.time(0, 15)),
        ("01:30 +0300", dt.time(22, 30)),
        ("01:30 MSK", dt.time(22, 30)),
        ("23:30-02", dt.time(1, 30)),
        ("14.05", dt.time(14, 5)),
    ],
)
def test_parse_time_converts_to_utc(text: str, expected: dt.time) -> None:
    assert v.parse_time(text) == expected


@pytest.mark.parametrize("text", ["25:00", "12:60", "noon", "12:00 XYZ", "12:00+15:00", ""])
def test_parse_time_rejects(text: str) -> None:
    with pytest.raises(FieldError):
        v.parse_time(text)


@pytest.mark.parametrize(
    ("text", "axis", "expected"),
    [
        ("59.4606", "latitude", 59.4606),
        ("59,4606", "latitude", 59.4606),
        ("-33.1", "longitude", -33.1),
        ("+45", "latitude", 45.0),
        ("59.46 N", "latitude", 59.46),
        ("59.46S", "latitude", -59.46),
        ("W 3.25", "longitude", -3.25),
        ("59°27'37\"N", "latitude", 59 + 27 / 60 + 37 / 3600),
        ("59 27 37 N", "latitude", 59 + 27 / 60 + 37 / 3600),
        ("59°27.6'N", "latitude", 59 + 27.6 / 60),
        ("32°04′15″E", "longitude", 32 + 4 / 60 + 15 / 3600),
        ("59d27m37s", "latitude", 59 + 27 / 60 + 37 / 3600),
        ("179.9999", "longitude", 179.9999),
        ("5.5e-05", "longitude", 5.5e-05),
        ("-90", "latitude", -90.0),
    ],
)
def test_parse_coordinate_accepts(text: str, axis: str, expected: float) -> None:
    assert v.parse_coordinate(text, axis) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("text", "axis", "reason_part"),
    [
        ("nan", "latitude", "not a number"),
        ("NaN", "longitude", "not a number"),
        ("inf", "latitude", "not a number"),
        ("-Infinity", "longitude", "not a number"),
        ("1e309", "latitude", "not a finite number"),
        ("1e-3x", "latitude", "not a latitude"),
        ("1e-400", "latitude", "too small"),
        ("5e-324", "longitude", "too small"),
        ("91", "latitude", "swapped"),
        ("-180.5", "longitude", "outside"),
        ("59°61'N", "latitude", "below 60"),
        ("59.5 E", "latitude", "not valid for latitude"),
        ("-59.5 S", "latitude", "either a sign"),
        ("0x1A", "latitude", "not a latitude"),
        ("", "latitude", "missing"),
        ("fifty", "longitude", "not a longitude"),
    ],
)
def test_parse_coordinate_rejects(text: str, axis: str, reason_part: str) -> None:
    with pytest.raises(FieldError, match=reason_part):
        v.parse_coordinate(text, axis)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Drones", "drone"),
        ("UAV", "drone"),
        ("drone attack", "drone"),
        ("Shahed", "drone"),
        ("БПЛА", "drone"),
        ("missile", "missile"),
        ("Kalibr", "missile"),
        ("Neptune missiles", "missile"),
        ("cruise missile strike", "missile"),
        ("drones and missiles", "combined"),
        ("massive drone + missile attack", "combined"),
        ("sabotage", "sabotage"),
        ("railway sabotage", "sabotage"),
        ("unknown", "unknown"),
        ("", "unknown"),
    ],
)
def test_parse_attack_type(text: str, expected: str) -> None:
    assert v.parse_attack_type(text) == expected


def test_parse_attack_type_unknown_lists_choices() -> None:
    with pytest.raises(FieldError, match="drone, missile, combined"):
        v.parse_attack_type("catapult")


@pytest.mark.parametrize(
    ("parser", "text", "expected"),
    [
        (v.parse_effect, "Fire", "fire"),
        (v.parse_effect, "fire reported", "fire"),
        (v.parse_effect, "incendio", "fire"),
        (v.parse_effect, "halted operations", "shutdown"),
        (v.parse_effect, "shot down", "intercepted"),
        (v.parse_effect, "none", "none_reported"),
        (v.parse_facility_type, "Refinery", "refinery"),
        (v.parse_facility_type, "Raffineria", "refinery"),
        (v.parse_facility_type, "oil depot", "oil_depot"),
        (v.parse_facility_type, "Deposito petrolifero", "oil_depot"),
        (v.parse_facility_type, "Sottostazione elettrica", "substation"),
        (v.parse_facility_type, "power_plant", "power_plant"),
        (v.parse_facility_type, "Power Stations", "power_plant"),
        (v.parse_damage_level, "severe", "heavy"),
        (v.parse_damage_level, "Minor", "light"),
        (v.parse_claim_status, "verified", "reported"),
        (v.parse_claim_status, "not verified", "claimed"),
        (v.parse_claim_status, "Satellite imagery", "confirmed_by_imagery"),
        (v.parse_claim_status, "confirmed_by_imagery", "confirmed_by_imagery"),
        (v.parse_claim_status, "Reported", "reported"),
        (v.parse_claim_status, "denied", "disputed"),
    ],
)
def test_vocab_synonyms(parser, text: str, expected: str) -> None:
    assert parser(text) == expected


@pytest.mark.parametrize("parser", [v.parse_effect, v.parse_facility_type, v.parse_damage_level, v.parse_claim_status])
def test_vocab_rejects_unknown(parser) -> None:
    with pytest.raises(FieldError, match="expected one of"):
        parser("zzz qqq")


@pytest.mark.parametrize(
    ("text", "expected"),
    [("B", ("B", None)), ("b2", ("B", 2)), ("C-3", ("C", 3)), ("F/6", ("F", 6)), ("4", (None, 4))],
)
def test_parse_admiralty(text: str, expected: tuple[str | None, int | None]) -> None:
    assert v.parse_admiralty(text) == expected


@pytest.mark.parametrize("text", ["G", "7", "A7", "high", "AB", ""])
def test_parse_admiralty_rejects(text: str) -> None:
    with pytest.raises(FieldError):
        v.parse_admiralty(text)


def test_reliability_and_credibility_cells() -> None:
    assert v.parse_reliability("B2") == ("B", 2)
    assert v.parse_credibility("3") == 3
    assert v.parse_credibility("B3") == 3
    with pytest.raises(FieldError, match="letter A-F"):
        v.parse_reliability("3")
    with pytest.raises(FieldError, match="digit 1-6"):
        v.parse_credibility("B")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Russia", "RU"),
        ("Russian Federation", "RU"),
        ("RUS", "RU"),
        ("ru", "RU"),
        ("643", "RU"),
        ("Ukraine", "UA"),
        ("Ucraina", "UA"),
        ("Україна", "UA"),
        ("UKR", "UA"),
        ("204", "BJ"),
        ("DR Congo (Zaire)", "CD"),
        ("Russia (Soviet Union)", "RU"),
        ("Bosnia-Herzegovina", "BA"),
        ("Macedonia, FYR", "MK"),
    ],
)
def test_parse_country(text: str, expected: str) -> None:
    assert v.parse_country(text) == expected


@pytest.mark.parametrize("text", ["Atlantis", "999", "XX", "12345"])
def test_parse_country_rejects(text: str) -> None:
    with pytest.raises(FieldError):
        v.parse_country(text)


@pytest.mark.parametrize(
    "text", ["https://www.reuters.com/a?b=c#::~:text=MOSCOW%2C%20Sept", "http://example.org", " https://x.y/z "]
)
def test_parse_url_accepts_http(text: str) -> None:
    assert v.parse_url(text) == text.strip()


@pytest.mark.parametrize(
    ("text", "reason_part"),
    [
        ("javascript:alert(1)", "only http"),
        ("data:text/html,<b>x</b>", "only http"),
        ("file:///etc/passwd", "only http"),
        ("ftp://example.org/x", "only http"),
        ("https://", "no host"),
        ("https://exa mple.org", "spaces"),
        ("https://example.org/\x00", "control"),
        ("www.example.org", "only http"),
        ("http://[::1", "not a valid URL"),
        ("http://example.org:99999/", "not a valid URL"),
    ],
)
def test_parse_url_rejects(text: str, reason_part: str) -> None:
    with pytest.raises(FieldError, match=reason_part):
        v.parse_url(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("https://a.org/1 https://b.org/2", ["https://a.org/1", "https://b.org/2"]),
        ("https://a.org/1|https://b.org/2", ["https://a.org/1", "https://b.org/2"]),
        ("https://a.org/1; https://b.org/2", ["https://a.org/1", "https://b.org/2"]),
        ("https://a.org/x,y, https://b.org/2", ["https://a.org/x,y", "https://b.org/2"]),
        ("https://a.org/p;q=1", ["https://a.org/p;q=1"]),
        ("https://a.org/1\nhttps://b.org/2", ["https://a.org/1", "https://b.org/2"]),
    ],
)
def test_split_urls(text: str, expected: list[str]) -> None:
    assert v.split_urls(text) == expected


def test_parse_int_and_blank_markers() -> None:
    assert v.parse_int("12") == 12
    assert v.parse_int("12.0") == 12
    with pytest.raises(FieldError, match="at least 0"):
        v.parse_int("-1", "fatalities")
    with pytest.raises(FieldError, match="whole number"):
        v.parse_int("1.5")
    assert all(v.is_blank(t) for t in (None, "", "  ", "NA", "n/a", "NULL", "-", "н/д", " Н/Д ", "нет данных"))
    assert not v.is_blank("none")  # "none" is a real value for effect and damage level
    assert v.shown("x" * 500) is not None and len(v.shown("x" * 500)) == 200
