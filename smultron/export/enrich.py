"""The GeoPackage's place layers without joins in PostgreSQL.

For a million places the five joins (category, preschool, campaign, mapping
session, department) cost more than reading the places themselves. The export
reads the place table alone (ids instead of names) and puts the names in with
Arrow: the small tables are loaded once per export as lookup arrays, and each
record batch gets its names by ``index_in`` + ``take`` (vectorised, in C++).
The columns come out exactly as ``query.place_columns`` names and types them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import String, and_, case, cast, func, select

from smultron.models import Campaign, Category, Department, MappingSession, Place, Preschool
from smultron.places.query import ANSWER, Scope, answer_columns, geometry_in, local_date

ANSWER_NAMES = ("response_status", "response_text", "response_plan", "answered_at")


@dataclass(frozen=True)
class Lookups:
    category_ids: pa.Array
    category_codes: pa.Array
    category_labels: pa.Array
    preschool_ids: pa.Array
    preschool_names: pa.Array
    campaign_ids: pa.Array
    campaign_names: pa.Array
    session_ids: pa.Array  # fixed_size_binary(16): the uuid's bytes
    session_departments: pa.Array
    session_languages: pa.Array

    @classmethod
    def read(cls, query) -> Lookups:
        """The lookup arrays, read by ``query(select) -> pyarrow.Table`` (the export's own
        snapshot, so every id in the places has its name)."""
        categories = query(select(Category.id, Category.code, Category.label_sv))
        preschools = query(select(Preschool.id, Preschool.name))
        campaigns = query(select(Campaign.id, Campaign.name))
        sessions = query(select(MappingSession.id, Department.name, MappingSession.language)
                         .outerjoin(Department, Department.id == MappingSession.department_id))
        session_ids = sessions.column(0).combine_chunks()
        if isinstance(session_ids, pa.ExtensionArray):
            session_ids = session_ids.storage
        return cls(*(_array(t, i) for t, i in ((categories, 0), (categories, 1),
                                                (categories, 2), (preschools, 0),
                                                (preschools, 1), (campaigns, 0),
                                                (campaigns, 1))),
                   session_ids, _array(sessions, 1), _array(sessions, 2))


def _array(table: pa.Table, index: int) -> pa.Array:
    return table.column(index).combine_chunks()


def places_ids_select(scope: Scope, kind: str, srid: int):
    """The filtered places of one geometry kind, with ids where the names will go."""
    return select(
        cast(Place.id, String).label("place_id"),
        Place.category_id, Place.feeling, Place.children_count, Place.age_group,
        Place.season,
        case((Place.comment_state == "approved", Place.comment), else_=None).label("comment"),
        Place.preschool_id, Place.session_id, Place.campaign_id,
        local_date(Place.created_at).label("created"),
        *answer_columns(),
        func.ST_AsBinary(geometry_in(Place.geom, srid)).label("geom"),
    ).select_from(Place).outerjoin(
        ANSWER, and_(ANSWER.place_id == Place.id, ANSWER.replaced_at.is_(None))
    ).where(and_(*scope.place_conditions(), func.ST_GeometryType(Place.geom) == kind))


def _lookup(ids, keys: pa.Array, values: pa.Array) -> pa.Array:
    if isinstance(ids, pa.ExtensionArray):
        ids = ids.storage
    return pc.take(values, pc.index_in(ids, value_set=keys))


def with_names(batch: pa.RecordBatch, lookups: Lookups) -> pa.RecordBatch:
    column = batch.column
    names = batch.schema.names
    get = {name: column(i) for i, name in enumerate(names)}
    columns = {
        "place_id": get["place_id"],
        "category": _lookup(get["category_id"], lookups.category_ids, lookups.category_codes),
        "category_sv": _lookup(get["category_id"], lookups.category_ids,
                               lookups.category_labels),
        "feeling": get["feeling"], "children_count": get["children_count"],
        "age_group": get["age_group"], "season": get["season"], "comment": get["comment"],
        "preschool": _lookup(get["preschool_id"], lookups.preschool_ids,
                             lookups.preschool_names),
        "department": _lookup(get["session_id"], lookups.session_ids,
                              lookups.session_departments),
        "session_language": _lookup(get["session_id"], lookups.session_ids,
                                    lookups.session_languages),
        "campaign": _lookup(get["campaign_id"], lookups.campaign_ids, lookups.campaign_names),
        "created": get["created"],
        **{name: get[name] for name in ANSWER_NAMES},
        "geom": get["geom"],
    }
    return pa.RecordBatch.from_arrays(list(columns.values()), names=list(columns))


def named(reader: pa.RecordBatchReader, lookups: Lookups) -> pa.RecordBatchReader:
    """``reader``'s batches with names in place of ids, as a new reader (still streaming)."""
    empty = with_names(pa.RecordBatch.from_pylist([], schema=reader.schema), lookups)

    def batches() -> Iterator[pa.RecordBatch]:
        for batch in reader:
            yield with_names(batch, lookups)

    return pa.RecordBatchReader.from_batches(empty.schema, batches())
