"""Points on the Earth: a sourced location and the great-circle distance. Pure, no Telegram, no database."""

from __future__ import annotations

import math
from typing import Literal

from pydantic import BaseModel, ConfigDict, field_validator

__all__ = ["EARTH_RADIUS_M", "Location", "distance_m", "valid_point"]

EARTH_RADIUS_M = 6_371_008.8  # the mean Earth radius (IUGG)


class Location(BaseModel):
    """The coordinates of a building, given by a source (the organisation's page, an open dataset)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    lat: float
    lon: float
    precision: Literal["address"] = "address"
    source: str

    @field_validator("lat")
    @classmethod
    def _lat(cls, v: float) -> float:
        if not -90 <= v <= 90:
            raise ValueError(f"latitude {v} is outside -90…90")
        return v

    @field_validator("lon")
    @classmethod
    def _lon(cls, v: float) -> float:
        if not -180 <= v <= 180:
            raise ValueError(f"longitude {v} is outside -180…180")
        return v

    @field_validator("source")
    @classmethod
    def _source(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("a location needs its source")
        return v.strip()


def valid_point(lat: float, lon: float) -> bool:
    """A finite latitude/longitude pair within range (what a Telegram location may carry, and nothing else)."""
    return (
        isinstance(lat, int | float)
        and isinstance(lon, int | float)
        and math.isfinite(lat)
        and math.isfinite(lon)
        and -90 <= lat <= 90
        and -180 <= lon <= 180
    )


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp = p2 - p1
    dl = math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))
