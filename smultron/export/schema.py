"""The GeoPackage schema extension: a title and a description for every exported
column, and the coded values (feeling, season, age group, category, relation) as
enum constraints. GDAL reads the constraints as field domains, so QGIS shows
"Smultronställe" where the column holds ``favourite`` and offers the values as a list.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from smultron.core.messages import M
from smultron.export.styles import ALIASES, CategoryStyle

EXTENSION = "http://www.geopackage.org/spec121/#extension_schema"
DESCRIPTIONS = {
    "place_id": M("The place's id (the same in the web app and the API)."),
    "category": M("Category code of the place."),
    "category_sv": M("The category's Swedish name."),
    "feeling": M("favourite (smultronställe) or scary (läskig plats)."),
    "children_count": M("How many children chose this place."),
    "age_group": M("The children's age group (years)."),
    "season": M("When the place matters: summer, winter or all_year."),
    "comment": M("What the children said (approved comments only)."),
    "preschool": M("The preschool whose children chose the place."),
    "department": M("The preschool's department (avdelning), if recorded."),
    "session_language": M("The language the mapping session was held in: sv, en, fi, fit "
                          "(Meänkieli), se (North Sámi) or other (empty: not recorded)."),
    "campaign": M("The mapping campaign."),
    "created": M("The day the place was marked."),
    "response_status": M("The planners' answer: kept, improved, changed, not_possible or "
                         "considering (empty: not answered yet)."),
    "response_text": M("The reason given with the answer, written for the children."),
    "response_plan": M("The plan area the answer belongs to, if any."),
    "answered_at": M("When the answer was given (UTC)."),
    "consequence": M("The plan's consequence for the children at this place."),
    "measure": M("The measure: how the place was weighed in the plan."),
    "name": M("The preschool's name."),
    "unit_code": M("The preschool's unit code."),
    "address": M("Street address."),
    "enrolled_children": M("Children enrolled at the preschool."),
    "sessions": M("Mapping sessions held (in the chosen campaigns)."),
    "children_reached": M("Children taking part, summed over the sessions."),
    "participation_pct": M("children_reached as a percentage of enrolled_children."),
    "places": M("Places in this export."),
    "children_choices": M("Sum of children_count over the places."),
    "area_ha": M("Area in hectares."),
    "children": M("Sum of children_count of the places in the cell."),
    "favourite": M("Favourite places in the cell."),
    "scary": M("Scary places in the cell."),
    "relation": M("inside the plan area, or near it (within the buffer)."),
    "distance_m": M("Distance from the plan area in metres (0 inside)."),
    "photo": M("The photo (JPEG, at most 1600 px, without metadata)."),
    "photo_id": M("The photo's id (the same in the web app and the API)."),
    "taken_on": M("The day the photo was taken, if the camera recorded it."),
    "width": M("Width of the photo in pixels."),
    "height": M("Height of the photo in pixels."),
}
MIME_TYPES = {"photo": "image/jpeg"}
ENUMS = {
    "feeling": [("favourite", "Smultronställe"), ("scary", "Läskig plats")],
    "season": [("summer", "Sommar"), ("winter", "Vinter"), ("all_year", "Hela året")],
    "age_group": [("1-2", "1–2 år"), ("3-4", "3–4 år"), ("5-6", "5–6 år"),
                  ("mixed", "Blandade åldrar")],
    "session_language": [("sv", "Svenska"), ("en", "Engelska"), ("fi", "Finska"),
                         ("fit", "Meänkieli"), ("se", "Nordsamiska"),
                         ("other", "Annat språk")],
    "relation": [("inside", "Inom planområdet"), ("near", "Nära (inom bufferten)")],
    "response_status": [("kept", "Bevaras"), ("improved", "Förbättras"),
                        ("changed", "Förändras"), ("not_possible", "Går inte"),
                        ("considering", "Utreds")],
}
CREATE = (
    "CREATE TABLE IF NOT EXISTS gpkg_data_columns (table_name TEXT NOT NULL, "
    "column_name TEXT NOT NULL, name TEXT, title TEXT, description TEXT, mime_type TEXT, "
    "constraint_name TEXT, CONSTRAINT pk_gdc PRIMARY KEY (table_name, column_name), "
    "CONSTRAINT gdc_tn UNIQUE (table_name, name))",
    "CREATE TABLE IF NOT EXISTS gpkg_data_column_constraints (constraint_name TEXT NOT NULL, "
    "constraint_type TEXT NOT NULL, value TEXT, min NUMERIC, min_is_inclusive BOOLEAN, "
    "max NUMERIC, max_is_inclusive BOOLEAN, description TEXT, "
    "CONSTRAINT gdcc_ntv UNIQUE (constraint_name, constraint_type, value))",
)


def write_schema(path: Path, categories: list[CategoryStyle], t=str) -> None:
    """Describe every column of the feature tables in ``path`` (``t`` translates the
    descriptions into the export's language) and add the enums."""
    enums = {**ENUMS, "category": [(c.code, c.label) for c in categories]}
    with closing(sqlite3.connect(path)) as db, db:
        for statement in CREATE:
            db.execute(statement)
        db.executemany(
            "INSERT INTO gpkg_extensions (table_name, column_name, extension_name, definition, "
            "scope) VALUES (?, NULL, 'gpkg_schema', ?, 'read-write')",
            [("gpkg_data_columns", EXTENSION), ("gpkg_data_column_constraints", EXTENSION)])
        for column, values in enums.items():
            db.executemany(
                "INSERT INTO gpkg_data_column_constraints (constraint_name, constraint_type, "
                "value, description) VALUES (?, 'enum', ?, ?)",
                [(f"smultron_{column}", value, label) for value, label in values])
        tables = [row[0] for row in db.execute(
            "SELECT table_name FROM gpkg_contents WHERE data_type = 'features' "
            "OR table_name = 'place_photos'")]
        for table in tables:
            columns = [row[1] for row in db.execute("SELECT * FROM pragma_table_info(?)",
                                                    (table,))]
            db.executemany(
                "INSERT INTO gpkg_data_columns (table_name, column_name, name, title, "
                "description, mime_type, constraint_name) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(table, column, ALIASES[column], ALIASES[column],
                  t(DESCRIPTIONS[column]) if column in DESCRIPTIONS else None,
                  MIME_TYPES.get(column), f"smultron_{column}" if column in enums else None)
                 for column in columns if column in ALIASES])
