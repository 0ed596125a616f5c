"""The map's colours stay distinguishable for readers with colour-vision deficiencies.

Each palette is run through colorspacious's simulation of deuteranopia, protanopia and tritanopia
(severity 100) and the smallest CAM02-UCS distance between any two colours is checked. About 10
units reads as clearly different side by side, 20 as different at a glance.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from events import vocab
from maps import style

colorspacious = pytest.importorskip("colorspacious")

VISION = ["normal", "deuteranomaly", "protanomaly", "tritanomaly"]


def _rgb(hex_color: str) -> np.ndarray:
    value = hex_color.lstrip("#")
    return np.array([int(value[i : i + 2], 16) / 255 for i in (0, 2, 4)])


def _seen(hex_color: str, vision: str) -> np.ndarray:
    rgb = _rgb(hex_color)
    if vision == "normal":
        return rgb
    space = {"name": "sRGB1+CVD", "cvd_type": vision, "severity": 100}
    return np.clip(colorspacious.cspace_convert(rgb, space, "sRGB1"), 0, 1)


def _distance(a: str, b: str, vision: str) -> float:
    return float(colorspacious.deltaE(_seen(a, vision), _seen(b, vision), input_space="sRGB1"))


def _closest(pairs, vision):
    return min((_distance(a, b, vision), a, b) for a, b in pairs)


TYPE_COLORS = [*style.FACILITY_TYPE_COLORS.values(), style.UNKNOWN_TYPE_COLOR]


@pytest.mark.parametrize("vision", VISION)
def test_confidence_levels_are_far_apart_for_every_vision(vision):
    colors = [style.CONFIDENCE_COLORS[level] for level in vocab.CONFIDENCE_LEVELS]
    distance, a, b = _closest(itertools.combinations(colors, 2), vision)
    assert distance >= 20, f"{a} and {b} look alike under {vision} ({distance:.1f})"


@pytest.mark.parametrize("vision", VISION)
def test_confidence_is_ordered_by_lightness_for_every_vision(vision):
    lightness = [
        colorspacious.cspace_convert(_seen(style.CONFIDENCE_COLORS[level], vision), "sRGB1", "CAM02-UCS")[0]
        for level in vocab.CONFIDENCE_LEVELS
    ]
    assert lightness == sorted(lightness)  # stronger evidence is always darker


@pytest.mark.parametrize("vision", VISION)
def test_facility_types_are_distinct_from_each_other_for_every_vision(vision):
    distance, a, b = _closest(itertools.combinations(TYPE_COLORS, 2), vision)
    assert distance >= 10, f"{a} and {b} look alike under {vision} ({distance:.1f})"


@pytest.mark.parametrize("vision", VISION)
def test_facility_types_never_look_like_a_confidence_level(vision):
    pairs = itertools.product(TYPE_COLORS, style.CONFIDENCE_COLORS.values())
    distance, a, b = _closest(pairs, vision)
    assert distance >= 10, f"type {a} and confidence {b} look alike under {vision} ({distance:.1f})"


def test_region_and_heat_palettes_do_not_reuse_marker_colours():
    markers = {*TYPE_COLORS, *style.CONFIDENCE_COLORS.values()}
    assert not markers & set(style.CHOROPLETH_COLORS)
    assert not markers & set(style.HEAT_GRADIENT.values())
