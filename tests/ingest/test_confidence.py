"""The documented confidence rule."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from events import vocab
from events.confidence import confidence_level


@pytest.mark.parametrize(
    ("status", "reliability", "credibility", "expected"),
    [
        ("confirmed_by_imagery", None, None, "confirmed"),
        ("confirmed_by_official", "B", 2, "confirmed"),
        ("confirmed_by_official", "E", 5, "possible"),
        ("reported", None, None, "likely"),
        ("reported", "A", 1, "confirmed"),
        ("reported", "C", 5, "possible"),
        ("claimed", None, None, "possible"),
        ("claimed", "B", 1, "likely"),
        ("claimed", "E", 3, "unverified"),
        ("disputed", "A", 1, "unverified"),
        ("debunked", None, None, "unverified"),
    ],
)
def test_rule_table(status, reliability, credibility, expected) -> None:
    assert confidence_level(status, reliability, credibility) == expected


@given(
    st.sampled_from(vocab.CLAIM_STATUSES),
    st.sampled_from((None, *vocab.SOURCE_RELIABILITIES)),
    st.sampled_from((None, *vocab.INFO_CREDIBILITIES)),
)
def test_always_a_level_and_never_above_the_claim(status, reliability, credibility) -> None:
    level = confidence_level(status, reliability, credibility)
    assert level in vocab.CONFIDENCE_LEVELS
    if status in ("disputed", "debunked"):
        assert level == "unverified"


def test_unknown_values_raise() -> None:
    with pytest.raises(ValueError):
        confidence_level("rumoured")
    with pytest.raises(ValueError):
        confidence_level("reported", "Z", 1)


def test_documented_table_matches_the_code() -> None:
    from pathlib import Path

    doc = (Path(__file__).parents[2] / "docs" / "confidence.md").read_text(encoding="utf-8")
    header = "| claim status | no grading | A1 / B1 | C3 | E5 |"
    lines = doc[doc.index(header) :].splitlines()[2:]
    grades = [(None, None), ("A", 1), ("C", 3), ("E", 5)]
    checked = 0
    for line in lines:
        if not line.startswith("|"):
            break
        cells = [c.strip() for c in line.strip("|").split("|")]
        statuses = [s.strip() for s in cells[0].replace("_imagery", "confirmed_by_imagery").split("/")]
        for status in statuses:
            for (reliability, credibility), expected in zip(grades, cells[1:], strict=True):
                assert confidence_level(status, reliability, credibility) == expected, (status, reliability)
                checked += 1
    assert checked == 24
