"""The data model (PostGIS). Stored in EPSG:4326; measured in EPSG:3006.

The rules live in the database as well as in the code: CHECK constraints for
enumerations and counts, valid geometry of the allowed types, foreign keys and
GiST indexes. No child is stored as a person: a place says how many children
of which age group chose it.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from geoalchemy2 import Geometry
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Double,
    ForeignKey,
    Identity,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

ROLES = ("staff", "planner", "official", "admin")
AGE_GROUPS = ("1-2", "3-4", "5-6", "mixed")
SEASONS = ("summer", "winter", "all_year")
FEELINGS = ("favourite", "scary")
CAMPAIGN_STATUSES = ("open", "closed")
COMMENT_STATES = ("none", "pending", "approved", "hidden")
PHOTO_STATES = ("pending", "approved", "hidden")
GEOMETRY_TYPES = ("ST_Point", "ST_LineString", "ST_Polygon")
# A planner's answer to a place (kept, improved, changed, not possible, being considered).
RESPONSE_STATUSES = ("kept", "improved", "changed", "not_possible", "considering")
RESPONSE_MAX = 300
# The plan-level texts of a child impact assessment (barnkonsekvensanalys), in its order.
ASSESSMENT_TEXTS = ("law", "views", "alternatives", "conflicts", "consequences", "measures",
                    "feedback")
ASSESSMENT_TEXT_MAX = 5000
WEIGHING_MAX = 1000
DECISION_MAX = 1000
# The interface languages (as smultron.core.i18n.LANGUAGES), and what a session can be held in.
LANGUAGE_CODES = ("sv", "en", "fi", "fit", "se")
SESSION_LANGUAGES = (*LANGUAGE_CODES, "other")
LABEL_LANGUAGES = ("fi", "fit", "se")  # category.labels; sv and en have their own columns
SRID = 4326
METRIC_SRID = 3006

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _now():
    return mapped_column(DateTime(timezone=True), server_default=func.now(), nullable=False)


STAT_KEY_DEFAULT = "floor(random() * 2147483648)::integer"


def _stat_key():
    """A record key for the reports' perturbation (reports/anonymity.py): a secret random
    integer in [0, 2^31), set once by the database and never shown, sent or exported."""
    return mapped_column(Integer, server_default=text(STAT_KEY_DEFAULT), nullable=False,
                         deferred=True)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Municipality(Base):
    __tablename__ = "municipality"
    __table_args__ = (
        CheckConstraint("extent IS NULL OR ST_IsValid(extent)", name="extent_valid"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(10), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    # The area places may lie in (checked on every save); NULL = anywhere.
    extent = mapped_column(
        Geometry("POLYGON", srid=SRID, spatial_index=False), nullable=True
    )


class Category(Base):
    __tablename__ = "category"
    __table_args__ = (CheckConstraint("colour ~ '^#[0-9a-f]{6}$'", name="colour_hex"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    label_sv: Mapped[str] = mapped_column(String(100))
    label_en: Mapped[str] = mapped_column(String(100))
    pictogram: Mapped[str] = mapped_column(String(40))
    colour: Mapped[str] = mapped_column(String(7))
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    hidden: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    # Labels in the other interface languages, {"fi": …, "fit": …, "se": …}; a missing one
    # shows the Swedish label.
    labels: Mapped[dict] = mapped_column(JSONB, default=dict, server_default="{}")

    def label(self, lang: str) -> str:
        """The label in ``lang``; Swedish where it has none."""
        if lang == "en":
            return self.label_en
        if lang in LABEL_LANGUAGES:
            return (self.labels or {}).get(lang) or self.label_sv
        return self.label_sv

    @classmethod
    def label_sql(cls, lang: str):
        """``label(lang)`` as an SQL expression."""
        if lang == "en":
            return cls.label_en
        if lang in LABEL_LANGUAGES:
            return func.coalesce(func.nullif(cls.labels[lang].astext, ""), cls.label_sv)
        return cls.label_sv


class Preschool(Base):
    __tablename__ = "preschool"
    __table_args__ = (
        CheckConstraint("enrolled_children >= 0", name="enrolled_not_negative"),
        CheckConstraint("ST_IsValid(neighbourhood)", name="neighbourhood_valid"),
        UniqueConstraint("municipality_id", "name", name="uq_preschool_municipality_name"),
        Index("ix_preschool_location", "location", postgresql_using="gist"),
        Index("ix_preschool_neighbourhood", "neighbourhood", postgresql_using="gist"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    unit_code: Mapped[str | None] = mapped_column(String(40), unique=True, nullable=True)
    address: Mapped[str | None] = mapped_column(String(300), nullable=True)
    location = mapped_column(Geometry("POINT", srid=SRID, spatial_index=False), nullable=False)
    neighbourhood = mapped_column(
        Geometry("POLYGON", srid=SRID, spatial_index=False), nullable=False
    )
    enrolled_children: Mapped[int] = mapped_column(Integer, default=0)
    archived_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    municipality: Mapped[Municipality] = relationship()
    departments: Mapped[list[Department]] = relationship(
        back_populates="preschool", order_by="Department.name"
    )


class Department(Base):
    __tablename__ = "department"
    __table_args__ = (UniqueConstraint("preschool_id", "name", name="uq_department_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    preschool_id: Mapped[int] = mapped_column(
        ForeignKey("preschool.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))

    preschool: Mapped[Preschool] = relationship(back_populates="departments")


campaign_preschool = Table(
    "campaign_preschool",
    Base.metadata,
    Column("campaign_id", ForeignKey("campaign.id", ondelete="CASCADE"), primary_key=True),
    Column("preschool_id", ForeignKey("preschool.id", ondelete="CASCADE"), primary_key=True),
)


class Campaign(Base):
    __tablename__ = "campaign"
    __table_args__ = (
        CheckConstraint(_in("status", CAMPAIGN_STATUSES), name="status"),
        CheckConstraint("ends_on IS NULL OR ends_on >= starts_on", name="period"),
        UniqueConstraint("municipality_id", "name", name="uq_campaign_municipality_name"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    status: Mapped[str] = mapped_column(String(10), default="open")

    # Empty = every preschool of the municipality takes part.
    preschools: Mapped[list[Preschool]] = relationship(secondary=campaign_preschool)


user_preschool = Table(
    "user_preschool",
    Base.metadata,
    Column("user_id", ForeignKey("user.id", ondelete="CASCADE"), primary_key=True),
    Column("preschool_id", ForeignKey("preschool.id", ondelete="CASCADE"), primary_key=True),
)


class User(Base):
    __tablename__ = "user"
    __table_args__ = (
        CheckConstraint(_in("role", ROLES), name="role"),
        CheckConstraint("email = lower(email)", name="email_lowercase"),
        CheckConstraint(f"language IS NULL OR {_in('language', LANGUAGE_CODES)}",
                        name="language"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(200), nullable=True)
    role: Mapped[str] = mapped_column(String(10))
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default="true")
    # Changed on logout and password change: every older session cookie stops working.
    session_nonce: Mapped[str] = mapped_column(String(32))
    municipality_id: Mapped[int | None] = mapped_column(
        ForeignKey("municipality.id"), nullable=True
    )
    created_at: Mapped[datetime] = _now()
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # The interface language the person chose last (NULL: never chose one).
    language: Mapped[str | None] = mapped_column(String(3), nullable=True)

    preschools: Mapped[list[Preschool]] = relationship(
        secondary=user_preschool, order_by="Preschool.name"
    )
    # Set when the account logs in through single sign-on (smultron/sso).
    sso: Mapped[SsoAccount | None] = relationship(back_populates="user", uselist=False)


SSO_PROTOCOLS = ("oidc", "saml")


class SsoAccount(Base):
    """A user's link to the municipality's identity provider: the provider (OpenID
    Connect issuer or SAML entity id) and the person's stable id there (``sub`` or the
    SAML subject), never the e-mail address."""

    __tablename__ = "sso_account"
    __table_args__ = (
        UniqueConstraint("issuer", "subject", name="uq_sso_account_issuer_subject"),
        CheckConstraint(_in("protocol", SSO_PROTOCOLS), name="protocol"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"),
                                         unique=True)
    protocol: Mapped[str] = mapped_column(String(10))
    issuer: Mapped[str] = mapped_column(String(500))
    subject: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = _now()
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    user: Mapped[User] = relationship(back_populates="sso")


class SamlRequest(Base):
    """A SAML login under way: the AuthnRequest's ID, removed when its answer is taken (a
    response answering it a second time, a replay, finds no row and is refused)."""

    __tablename__ = "saml_request"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    created_at: Mapped[datetime] = _now()


class ApiToken(Base):
    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 hex
    prefix: Mapped[str] = mapped_column(String(12))  # shown to the user to tell tokens apart
    created_at: Mapped[datetime] = _now()
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    user: Mapped[User] = relationship()


class OneTimeLink(Base):
    """An invitation or password-reset link: used once, expires."""

    __tablename__ = "one_time_link"
    __table_args__ = (CheckConstraint(_in("purpose", ("invite", "reset")), name="purpose"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(10))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = _now()
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class MappingSession(Base):
    __tablename__ = "mapping_session"
    __table_args__ = (
        CheckConstraint("children_present >= 1", name="children_present_positive"),
        CheckConstraint(_in("age_group", AGE_GROUPS), name="age_group"),
        CheckConstraint("consent_confirmed", name="consent_confirmed"),
        CheckConstraint(f"language IS NULL OR {_in('language', SESSION_LANGUAGES)}",
                        name="language"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True,
                                          default=uuid.uuid4)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id"), index=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"), index=True)
    preschool_id: Mapped[int] = mapped_column(ForeignKey("preschool.id"), index=True)
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("department.id", ondelete="SET NULL"), nullable=True
    )
    held_on: Mapped[date] = mapped_column(Date)
    children_present: Mapped[int] = mapped_column(Integer)
    age_group: Mapped[str] = mapped_column(String(5))
    consent_confirmed: Mapped[bool] = mapped_column(Boolean)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = _now()
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    stat_key: Mapped[int] = _stat_key()
    # The language the session was held in (SESSION_LANGUAGES); NULL for sessions from
    # before it was recorded.
    language: Mapped[str | None] = mapped_column(String(5), nullable=True)

    campaign: Mapped[Campaign] = relationship()
    preschool: Mapped[Preschool] = relationship()
    department: Mapped[Department | None] = relationship()


class Place(Base):
    __tablename__ = "place"
    __table_args__ = (
        CheckConstraint("children_count >= 1", name="children_count_positive"),
        CheckConstraint(_in("feeling", FEELINGS), name="feeling"),
        CheckConstraint(_in("age_group", AGE_GROUPS), name="age_group"),
        CheckConstraint(_in("season", SEASONS), name="season"),
        CheckConstraint(_in("comment_state", COMMENT_STATES), name="comment_state"),
        CheckConstraint("char_length(comment) <= 500", name="comment_length"),
        CheckConstraint(_in("ST_GeometryType(geom)", GEOMETRY_TYPES), name="geometry_type"),
        CheckConstraint("ST_IsValid(geom)", name="geometry_valid"),
        CheckConstraint("version >= 1", name="version_positive"),
        Index("ix_place_geom", "geom", postgresql_using="gist"),
        Index("ix_place_updated", "updated_at", "id"),
        # A preschool's places in keyset order (the staff map, GET /api/v1/places?preschool=).
        Index("ix_place_preschool_updated", "preschool_id", "updated_at", "id"),
    )

    # The client's UUID: a retried submission finds its own row.
    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id"), index=True)
    session_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("mapping_session.id"), index=True
    )
    preschool_id: Mapped[int] = mapped_column(ForeignKey("preschool.id"), index=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"), index=True)
    geom = mapped_column(Geometry("GEOMETRY", srid=SRID, spatial_index=False), nullable=False)
    category_id: Mapped[int] = mapped_column(ForeignKey("category.id"), index=True)
    feeling: Mapped[str] = mapped_column(String(10))
    children_count: Mapped[int] = mapped_column(Integer)
    age_group: Mapped[str] = mapped_column(String(5))
    season: Mapped[str] = mapped_column(String(10))
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    comment_state: Mapped[str] = mapped_column(String(10), default="none")
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = _now()
    updated_at: Mapped[datetime] = _now()
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), nullable=True
    )
    stat_key: Mapped[int] = _stat_key()

    category: Mapped[Category] = relationship()
    session: Mapped[MappingSession] = relationship()
    preschool: Mapped[Preschool] = relationship()
    campaign: Mapped[Campaign] = relationship()


class PlacePhoto(Base):
    """A photo of a place (never of a person), under the device's UUID: decoded and
    re-encoded as JPEG on arrival (at most 1600 px, no metadata), with a 320 px thumbnail.
    Planners' downloads and the OGC API carry it only once approved; it goes with its place
    (ON DELETE CASCADE) and is purged after its own retention period."""

    __tablename__ = "place_photo"
    __table_args__ = (
        CheckConstraint(_in("state", PHOTO_STATES), name="state"),
        CheckConstraint("octet_length(content) BETWEEN 1 AND 4194304", name="content_size"),
        CheckConstraint("octet_length(thumb) BETWEEN 1 AND 1048576", name="thumb_size"),
        CheckConstraint("width BETWEEN 1 AND 1600 AND height BETWEEN 1 AND 1600", name="size"),
        CheckConstraint("upload_sha256 ~ '^[0-9a-f]{64}$'", name="upload_sha256_hex"),
        CheckConstraint("(object_key IS NULL AND content IS NOT NULL AND thumb IS NOT NULL) "
                        "OR (object_key IS NOT NULL AND content IS NULL AND thumb IS NULL)",
                        name="bytes_or_object"),
        Index("ix_place_photo_place", "place_id", "created_at"),
        Index("ix_place_photo_state", "state", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    place_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("place.id", ondelete="CASCADE"))
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id"), index=True)
    state: Mapped[str] = mapped_column(String(10), default="pending")
    # The JPEGs, or (SMULTRON_PHOTO_STORE=s3://…) the key of their objects in the object
    # store (smultron/photos/store.py): one or the other.
    content: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True, nullable=True)
    thumb: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True, nullable=True)
    object_key: Mapped[str | None] = mapped_column(String(300), nullable=True)
    width: Mapped[int] = mapped_column(SmallInteger)
    height: Mapped[int] = mapped_column(SmallInteger)
    # The bytes the device sent (before re-encoding): the same UUID with the same upload is
    # a retry, with another upload a conflict.
    upload_sha256: Mapped[str] = mapped_column(String(64))
    taken_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    created_at: Mapped[datetime] = _now()
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), nullable=True
    )
    moderated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    moderated_by: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), nullable=True
    )


# Recordings of a category's or an answer status's name (issue 15): their media types and
# the file name endings they are served with.
RECORDING_TYPES = {"audio/ogg": "ogg", "audio/mpeg": "mp3", "audio/mp4": "m4a"}
RECORDING_MAX_BYTES = 2**20
RECORDING_MAX_MS = 30_000


class Recording(Base):
    """A short recording of a category's name (or an answer status's) in one language, read
    aloud where the device has no voice for the language. One per subject and language;
    uploading again replaces it (under a new id, so the old address is never reused)."""

    __tablename__ = "recording"
    __table_args__ = (
        CheckConstraint("num_nonnulls(category_id, status) = 1", name="one_subject"),
        CheckConstraint(f"status IS NULL OR {_in('status', RESPONSE_STATUSES)}", name="status"),
        CheckConstraint(_in("language", LANGUAGE_CODES), name="language"),
        CheckConstraint(_in("media_type", tuple(RECORDING_TYPES)), name="media_type"),
        CheckConstraint(f"octet_length(content) BETWEEN 1 AND {RECORDING_MAX_BYTES}",
                        name="content_size"),
        CheckConstraint(f"duration_ms BETWEEN 1 AND {RECORDING_MAX_MS}", name="duration"),
        CheckConstraint("sha256 ~ '^[0-9a-f]{64}$'", name="sha256_hex"),
        Index("uq_recording_category_language", "category_id", "language", unique=True,
              postgresql_where=text("category_id IS NOT NULL")),
        Index("uq_recording_status_language", "status", "language", unique=True,
              postgresql_where=text("status IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    category_id: Mapped[int | None] = mapped_column(
        ForeignKey("category.id", ondelete="CASCADE"), nullable=True)
    status: Mapped[str | None] = mapped_column(String(20), nullable=True)
    language: Mapped[str] = mapped_column(String(3))
    media_type: Mapped[str] = mapped_column(String(20))
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    duration_ms: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = _now()
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), nullable=True
    )


class PlaceCell(Base):
    """Places counted per cell of the Web Mercator tile grid at ``level`` (cell = tile of
    that zoom), per preschool and campaign, deleted places left out. Kept by statement
    triggers on ``place`` (migration 0002); the cluster tiles of zoom 10–13 and the
    per-preschool counts of the overview are read from here, not from the places."""

    __tablename__ = "place_cell"

    level: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    cx: Mapped[int] = mapped_column(Integer, primary_key=True)
    cy: Mapped[int] = mapped_column(Integer, primary_key=True)
    preschool_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    count: Mapped[int] = mapped_column(Integer)
    children: Mapped[int] = mapped_column(Integer)
    scary: Mapped[int] = mapped_column(Integer)
    sum_lon: Mapped[float] = mapped_column(Double)  # mean position = sum / count
    sum_lat: Mapped[float] = mapped_column(Double)


class ReportAtom(Base):
    """The reports' atoms (aggregate.py) kept per children_count: places and the sum of
    their record keys. Kept by statement triggers (migration 0011), read by reports/kept.py."""

    __tablename__ = "report_atom"
    __table_args__ = (Index("ix_report_atom_square", "municipality_id", "ci", "cj"),)
    municipality_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    preschool_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    feeling: Mapped[str] = mapped_column(Text, primary_key=True)
    category_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    season: Mapped[str] = mapped_column(Text, primary_key=True)
    age_group: Mapped[str] = mapped_column(Text, primary_key=True)
    answer: Mapped[str] = mapped_column(Text, primary_key=True)
    language: Mapped[str] = mapped_column(Text, primary_key=True)
    band: Mapped[int] = mapped_column(Integer, primary_key=True)
    ci: Mapped[int] = mapped_column(Integer, primary_key=True)
    cj: Mapped[int] = mapped_column(Integer, primary_key=True)
    children_count: Mapped[int] = mapped_column(Integer, primary_key=True)
    places: Mapped[int] = mapped_column(Integer)
    key_sum: Mapped[int] = mapped_column(BigInteger)


class ReportUnit(Base):
    """Each (campaign, preschool)'s children_min and a version (migration 0011)."""

    __tablename__ = "report_unit"
    municipality_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    preschool_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    children_min: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(BigInteger)


class ReportFigure(Base):
    """A municipality report's figures per campaign and bucket (the units' children_min,
    at most 100), perturbed (migration 0011). Never shown as they are: anonymity.publish."""

    __tablename__ = "report_figure"
    __table_args__ = (Index("ix_report_figure_read", "municipality_id", "kind", "g",
                            "campaign_id", "bucket"),)
    municipality_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    bucket: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    kind: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    g: Mapped[int] = mapped_column(Integer, primary_key=True)
    feeling: Mapped[str] = mapped_column(Text, primary_key=True)
    category: Mapped[int] = mapped_column(Integer, primary_key=True)
    season: Mapped[str] = mapped_column(Text, primary_key=True)
    age_group: Mapped[str] = mapped_column(Text, primary_key=True)
    band: Mapped[int] = mapped_column(Integer, primary_key=True)
    preschool: Mapped[int] = mapped_column(Integer, primary_key=True)
    answer: Mapped[str] = mapped_column(Text, primary_key=True)
    language: Mapped[str] = mapped_column(Text, primary_key=True)
    i: Mapped[int] = mapped_column(Integer, primary_key=True)
    j: Mapped[int] = mapped_column(Integer, primary_key=True)
    places: Mapped[int] = mapped_column(Integer)
    children: Mapped[int] = mapped_column(Integer)
    children_min: Mapped[int] = mapped_column(Integer)


class ReportPending(Base):
    """A place's change to the reports' atoms, waiting for the next report to apply it
    (report_kept_refresh(), migration 0013): the writers only append here."""

    __tablename__ = "report_pending"
    seq: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    municipality_id: Mapped[int] = mapped_column(Integer)
    campaign_id: Mapped[int] = mapped_column(Integer)
    preschool_id: Mapped[int] = mapped_column(Integer)
    session_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    feeling: Mapped[str] = mapped_column(Text)
    category_id: Mapped[int] = mapped_column(Integer)
    season: Mapped[str] = mapped_column(Text)
    age_group: Mapped[str] = mapped_column(Text)
    answer: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(Text)
    band: Mapped[int] = mapped_column(Integer)
    ci: Mapped[int] = mapped_column(Integer)
    cj: Mapped[int] = mapped_column(Integer)
    children_count: Mapped[int] = mapped_column(Integer)
    places: Mapped[int] = mapped_column(Integer)
    key_sum: Mapped[int] = mapped_column(BigInteger)


class ReportAnswerGone(Base):
    """The answer of a place being hard-deleted with its answers, for its trigger."""

    __tablename__ = "report_answer_gone"
    place_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    status: Mapped[str] = mapped_column(Text)


class PlanArea(Base):
    __tablename__ = "plan_area"
    __table_args__ = (
        CheckConstraint("ST_IsValid(geom)", name="geometry_valid"),
        Index("ix_plan_area_geom", "geom", postgresql_using="gist"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    geom = mapped_column(Geometry("MULTIPOLYGON", srid=SRID, spatial_index=False), nullable=False)
    source: Mapped[str] = mapped_column(String(300))
    uploaded_by: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = _now()


class AnswersSeen(Base):
    """When a user last opened a preschool's answers page (issue 15): the planners'
    answers shown since then are "new" on that user's landing page."""

    __tablename__ = "answers_seen"

    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"),
                                         primary_key=True)
    preschool_id: Mapped[int] = mapped_column(ForeignKey("preschool.id", ondelete="CASCADE"),
                                              primary_key=True)
    seen_at: Mapped[datetime] = _now()


class PlaceResponse(Base):
    """A planner's answer to one place. Every answer is kept: the shown one is the row
    with ``replaced_at`` NULL (at most one per place); a later answer sets it on the
    earlier one. The children's feedback (the staff map, the BKA) reads the shown one."""

    __tablename__ = "place_response"
    __table_args__ = (
        CheckConstraint(_in("status", RESPONSE_STATUSES), name="status"),
        CheckConstraint(f"char_length(text) <= {RESPONSE_MAX}", name="text_length"),
        Index("uq_place_response_current", "place_id", unique=True,
              postgresql_where=text("replaced_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    place_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("place.id", ondelete="CASCADE"), index=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id"), index=True)
    status: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text, default="", server_default="")
    plan_id: Mapped[int | None] = mapped_column(
        ForeignKey("plan_area.id", ondelete="SET NULL"), nullable=True, index=True)
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[datetime] = _now()
    replaced_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class PlanAssessment(Base):
    """The plan-level texts of a plan's child impact assessment (one row per plan area);
    ``version`` counts the saves, each kept in ``plan_assessment_revision``."""

    __tablename__ = "plan_assessment"
    __table_args__ = tuple(
        CheckConstraint(f"char_length({name}) <= {ASSESSMENT_TEXT_MAX}", name=f"{name}_length")
        for name in ASSESSMENT_TEXTS)

    plan_id: Mapped[int] = mapped_column(ForeignKey("plan_area.id", ondelete="CASCADE"),
                                         primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id"), index=True)
    law: Mapped[str] = mapped_column(Text, default="", server_default="")
    views: Mapped[str] = mapped_column(Text, default="", server_default="")
    alternatives: Mapped[str] = mapped_column(Text, default="", server_default="")
    conflicts: Mapped[str] = mapped_column(Text, default="", server_default="")
    consequences: Mapped[str] = mapped_column(Text, default="", server_default="")
    measures: Mapped[str] = mapped_column(Text, default="", server_default="")
    feedback: Mapped[str] = mapped_column(Text, default="", server_default="")
    version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    updated_at: Mapped[datetime] = _now()
    updated_by: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), nullable=True)


class PlanWeighing(Base):
    """How one children's place was weighed in a plan: the consequence and the measure."""

    __tablename__ = "plan_weighing"
    __table_args__ = (
        CheckConstraint(f"char_length(consequence) <= {WEIGHING_MAX}", name="consequence_length"),
        CheckConstraint(f"char_length(measure) <= {WEIGHING_MAX}", name="measure_length"),
    )

    plan_id: Mapped[int] = mapped_column(ForeignKey("plan_area.id", ondelete="CASCADE"),
                                         primary_key=True)
    place_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("place.id", ondelete="CASCADE"),
                                                primary_key=True, index=True)
    consequence: Mapped[str] = mapped_column(Text, default="", server_default="")
    measure: Mapped[str] = mapped_column(Text, default="", server_default="")
    updated_at: Mapped[datetime] = _now()
    updated_by: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), nullable=True)


class PlanAssessmentRevision(Base):
    """One saved change of an assessment: a plan-level text (``place_id`` NULL) or a place's
    weighing (``field`` consequence/measure). Saves while typing by the same person within
    a few minutes update their last revision; anything else adds one."""

    __tablename__ = "plan_assessment_revision"
    __table_args__ = (Index("ix_plan_assessment_revision_plan", "plan_id", "id"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan_area.id", ondelete="CASCADE"))
    field: Mapped[str] = mapped_column(String(20))
    place_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("place.id", ondelete="CASCADE"), nullable=True)
    value: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[datetime] = _now()
    saved_at: Mapped[datetime] = _now()


class PlanDecision(Base):
    """An entry of a plan's dated decision log (appended, never edited)."""

    __tablename__ = "plan_decision"
    __table_args__ = (
        CheckConstraint(f"char_length(text) BETWEEN 1 AND {DECISION_MAX}", name="text_length"),
        Index("ix_plan_decision_plan", "plan_id", "decided_on"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan_area.id", ondelete="CASCADE"))
    decided_on: Mapped[date] = mapped_column(Date)
    text: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[datetime] = _now()


class AuditEvent(Base):
    """Append-only: the database refuses UPDATE (see the migration's trigger)."""

    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_at", "at"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    at: Mapped[datetime] = _now()
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), nullable=True, index=True
    )
    actor: Mapped[str | None] = mapped_column(String(254), nullable=True)  # email at the time
    action: Mapped[str] = mapped_column(String(60), index=True)
    target: Mapped[str | None] = mapped_column(String(300), nullable=True)
    detail: Mapped[dict] = mapped_column(JSONB, default=dict, server_default="{}")
    ip: Mapped[str | None] = mapped_column(String(45), nullable=True)


class Setting(Base):
    """Small key/value settings an admin edits (retention periods, page texts)."""

    __tablename__ = "setting"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[dict] = mapped_column(JSONB)


OPEN_STATUSES = ("published", "unpublished")
OPEN_LICENCES = ("CC0-1.0", "CC-BY-4.0")


class OpenDataset(Base):
    """A published open dataset (smultron/opendata): one or more campaigns' results on the
    fixed hexagon grid, anonymised and frozen in its versions; only the newest version of a
    published dataset is public."""

    __tablename__ = "open_dataset"
    __table_args__ = (
        CheckConstraint(_in("status", OPEN_STATUSES), name="status"),
        CheckConstraint(_in("licence", OPEN_LICENCES), name="licence"),
        CheckConstraint("hex_size >= 250", name="hex_size"),
        CheckConstraint("threshold >= 2", name="threshold"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id"), index=True)
    campaign_ids: Mapped[list[int]] = mapped_column(ARRAY(Integer))
    hex_size: Mapped[int] = mapped_column(Integer)
    threshold: Mapped[int] = mapped_column(Integer)
    licence: Mapped[str] = mapped_column(String(20))
    min_preschool: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = _now()
    unpublished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True),
                                                            nullable=True)


class OpenDatasetVersion(Base):
    """One frozen publication of a dataset: every public figure, as published."""

    __tablename__ = "open_dataset_version"
    __table_args__ = (UniqueConstraint("dataset_id", "version",
                                       name="uq_open_dataset_version_dataset_version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("open_dataset.id", ondelete="CASCADE"),
                                            index=True)
    version: Mapped[int] = mapped_column(Integer)
    published_at: Mapped[datetime] = _now()
    content: Mapped[dict] = mapped_column(JSONB)
