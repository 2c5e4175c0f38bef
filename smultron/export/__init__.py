"""Exports for planners: GeoPackage (styled, for QGIS), GeoJSON and CSV of the
filtered places (the filters and the shared places query are in
``smultron.places.query``); ``layers`` the layer SELECTs,
``gpkg`` / ``geojson`` / ``csv`` the writers."""

from __future__ import annotations

from sqlalchemy.orm import Session

from smultron.core import audit
from smultron.models import User
from smultron.places.query import Filters


def record_export(session: Session, target: str, filters: Filters, counts: dict, *,
                  user: User | None = None, actor: str | None = None, ip: str | None = None,
                  **detail) -> None:
    """The audit row of an export (a download or ``smultron export``): which file, its
    format, the filters and how many rows of each layer left."""
    audit.record(session, "export", user, actor=actor, target=target, ip=ip,
                 detail={"format": target.rsplit(".", 1)[-1], "filters": filters.as_dict(),
                         "counts": counts, **detail})
