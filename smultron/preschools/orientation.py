"""Preschools and their neighbourhoods to orient by on the drawing and overview maps.

GeoJSON (WGS 84) of the preschools the viewer may see in a bounding box: a point with
the name for each preschool and its neighbourhood polygon (simplified to about a metre
for drawing). At most MAX_PRESCHOOLS, the nearest to the box's centre first; the answer
says when there were more.
"""

from __future__ import annotations

import json
import math

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from smultron.core.access import Viewer
from smultron.core.errors import AppError
from smultron.core.messages import M
from smultron.models import SRID, Preschool

MAX_PRESCHOOLS = 300
PRECISION = 5  # decimals of a degree: about a metre


def parse_bbox(raw: str | None) -> tuple[float, float, float, float]:
    """'west,south,east,north' in degrees -> a tuple, or a 400 that says what is wrong."""
    parts = (raw or "").split(",")
    try:
        values = tuple(float(p) for p in parts) if len(parts) == 4 else ()
    except ValueError:
        values = ()
    if len(values) != 4 or not all(math.isfinite(v) for v in values):
        raise AppError(M("'bbox' must be four numbers: west,south,east,north in degrees."),
                       detail={"field": "bbox"})
    west, south, east, north = values
    if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
        raise AppError(M("'bbox' must be west,south,east,north in degrees, west before "
                         "east and south before north."), detail={"field": "bbox"})
    return values


def preschools_in(session: Session, viewer: Viewer,
                  bbox: tuple[float, float, float, float]) -> dict:
    """A FeatureCollection: each preschool's neighbourhood (kind "neighbourhood") and
    point (kind "preschool"), with its name; ``truncated`` when more were in the box."""
    box = func.ST_MakeEnvelope(*bbox, SRID)
    centre = func.ST_Centroid(box)
    rows = session.execute(
        select(Preschool.name,
               func.ST_AsGeoJSON(Preschool.location, PRECISION),
               func.ST_AsGeoJSON(func.ST_SimplifyPreserveTopology(Preschool.neighbourhood,
                                                                  0.00001), PRECISION))
        .where(Preschool.archived_at.is_(None), viewer.preschool_filter(Preschool.id),
               Preschool.neighbourhood.op("&&")(box))
        .order_by(Preschool.location.op("<->")(centre), Preschool.id)
        .limit(MAX_PRESCHOOLS + 1)).all()
    features = []
    for name, point, neighbourhood in rows[:MAX_PRESCHOOLS]:
        features.append({"type": "Feature", "geometry": json.loads(neighbourhood),
                         "properties": {"kind": "neighbourhood", "name": name}})
        features.append({"type": "Feature", "geometry": json.loads(point),
                         "properties": {"kind": "preschool", "name": name}})
    return {"type": "FeatureCollection", "features": features,
            "truncated": len(rows) > MAX_PRESCHOOLS}
