"""Readable names for the audit log's action codes (the code is shown too)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from smultron.web.admin import link_labels, local_time, role_labels

ACTION_LABELS = {
    "login": _l("Logged in"), "login_failed": _l("Failed login"), "logout": _l("Logged out"),
    "password_set": _l("Password set through a link"),
    "password_changed": _l("Password changed"),
    "token_created": _l("API token created"), "token_revoked": _l("API token revoked"),
    "export": _l("Export of places"), "report_pdf": _l("Report as PDF"),
    "poster_pdf": _l("Poster downloaded"),
    "audit_exported": _l("Audit log downloaded"),
    "user_created": _l("User invited"), "user_updated": _l("User's access changed"),
    "user_deactivated": _l("User deactivated"), "user_reactivated": _l("User reactivated"),
    "user_erased": _l("User's personal data erased"), "link_issued": _l("One-time link created"),
    "preschool_created": _l("Preschool added"), "preschool_updated": _l("Preschool changed"),
    "preschool_archived": _l("Preschool archived"), "preschool_restored": _l("Preschool restored"),
    "preschool_deleted": _l("Preschool deleted"), "preschools_imported": _l("Preschools imported"),
    "department_added": _l("Department added"), "department_renamed": _l("Department renamed"),
    "department_deleted": _l("Department deleted"),
    "campaign_created": _l("Campaign added"), "campaign_updated": _l("Campaign changed"),
    "campaign_opened": _l("Campaign opened"), "campaign_closed": _l("Campaign closed"),
    "category_created": _l("Category added"), "category_updated": _l("Category changed"),
    "category_moved": _l("Category moved"), "category_deleted": _l("Category deleted"),
    "retention_changed": _l("Retention periods changed"),
    "retention_applied": _l("Retention purge"),
    "site_contacts_changed": _l("Contacts changed"),
    "page_text_changed": _l("Public page text changed"),
    "page_text_reset": _l("Public page text reset"),
    "municipality_created": _l("Municipality added"),
    "session_started": _l("Mapping session started"),
    "session_finished": _l("Mapping session finished"),
    "session_reopened": _l("Mapping session reopened"),
    "place_created": _l("Place added"), "place_updated": _l("Place changed"),
    "place_deleted": _l("Place deleted"), "place_restored": _l("Place restored"),
    "comment_approved": _l("Comment approved"), "comment_hidden": _l("Comment hidden"),
    "comment_pending": _l("Comment back to review"),
    "photo_added": _l("Photo of a place added"), "photo_deleted": _l("Photo of a place removed"),
    "photo_approved": _l("Photo approved"), "photo_hidden": _l("Photo hidden"),
    "photos_moved": _l("Photos moved into the object store"),
    "plan_area_created": _l("Plan area uploaded"), "plan_area_deleted": _l("Plan area deleted"),
    "place_answered": _l("Place answered"), "places_answered": _l("Places answered at once"),
    "assessment_edited": _l("Child impact assessment edited"),
    "plan_decision_added": _l("Decision added to a plan's log"),
    "assessment_exported": _l("Child impact assessment downloaded"),
    "sso_user_created": _l("Account created at the first single sign-on"),
    "sso_user_updated": _l("Account updated from the single sign-on provider"),
    "sso_refused": _l("Single sign-on refused"),
    "sso_settings_changed": _l("Single sign-on settings changed"),
}


def label(action: str) -> str:
    found = ACTION_LABELS.get(action)
    return str(found) if found is not None else action


# -- the details of an event, as readable field / before / after -------------------------

# Actions whose detail is {field: [before, after]}.
CHANGE_ACTIONS = frozenset({
    "preschool_updated", "campaign_updated", "category_updated", "user_updated",
    "retention_changed", "site_contacts_changed", "department_renamed", "sso_user_updated",
    "sso_settings_changed"})

FIELD_LABELS = {
    "name": _l("Name"), "unit_code": _l("Unit code"), "address": _l("Address"),
    "enrolled_children": _l("Enrolled children"), "location": _l("Location (lon, lat)"),
    "neighbourhood_vertices": _l("Corners of the neighbourhood"),
    "neighbourhood_bounds": _l("Neighbourhood's extent"), "departments": _l("Departments"),
    "department": _l("Department"), "code": _l("Code"), "starts_on": _l("Starts"),
    "ends_on": _l("Ends"), "preschools": _l("Preschools"), "preschool": _l("Preschool"),
    "status": _l("Status"), "label_sv": _l("Swedish"), "label_en": _l("English"),
    "label_fi": _l("Finnish"), "label_fit": _l("Meänkieli"), "label_se": _l("North Sámi"),
    "pictogram": _l("Pictogram"), "colour": _l("Colour"), "sort_order": _l("Order"),
    "hidden": _l("Hidden"), "role": _l("Role"), "active": _l("Active"),
    "link": _l("Link"), "emailed": _l("E-mailed"), "link_expires_at": _l("Link expires"),
    "comment_months": _l("Comments, in months"),
    "deleted_place_days": _l("Deleted places, in days"),
    "photo_months": _l("Photos of places, in months"), "photos": _l("Photos of places"),
    "audit_months": _l("Audit events, in months"), "organisation": _l("Organisation"),
    "contact_email": _l("Contact e-mail"), "dpo_email": _l("Data protection officer"),
    "feedback_email": _l("Accessibility feedback"), "filters": _l("Filters"),
    "rows": _l("Rows"), "counts": _l("Rows per layer"), "format": _l("Format"),
    "crs": _l("Coordinate system"), "characters": _l("Characters"),
    "direction": _l("Direction"), "comments": _l("Comments"),
    "deleted_places": _l("Deleted places"), "audit_events": _l("Audit events"),
    "links": _l("One-time links"), "periods": _l("Periods"), "created": _l("Added"),
    "updated": _l("Updated"), "prefix": _l("Token begins"), "now": _l("Now called"),
    "session": _l("Mapping session"), "category": _l("Category"),
    "children": _l("Children"), "fields": _l("Fields"), "source": _l("Source"),
    "campaigns": _l("Campaigns"), "categories": _l("Categories"), "feelings": _l("Feeling"),
    "seasons": _l("Season"), "date_from": _l("From"), "date_to": _l("To"),
    "via": _l("Through"), "reason": _l("Reason"), "email": _l("E-mail"),
    "issuer": _l("Provider (issuer)"), "subject": _l("Id at the provider"),
    "role_values": _l("Role claim's values"), "unit_codes": _l("Unit codes"),
    "error": _l("Error"), "roles_from_provider": _l("Roles from the provider"),
    "require_sso": _l("Staff must use single sign-on"),
}
ISO_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?([+-]\d\d:\d\d|Z)$")


@dataclass(frozen=True)
class DetailLine:
    field: str
    value: str | None = None  # or, for a change:
    before: str | None = None
    after: str | None = None


def field_label(key: str) -> str:
    found = FIELD_LABELS.get(key)
    return str(found) if found is not None else key


def detail_lines(action: str, detail) -> list[DetailLine]:
    """An event's detail (JSON) as lines a person reads: a field and its value, or for a
    change the field with its value before and after. Text only (the page escapes it)."""
    if not detail:
        return []
    if not isinstance(detail, dict):
        return [DetailLine("", value=_text("", detail))]
    if set(detail) == {"from", "to"}:  # a comment's moderation state
        return [DetailLine(gettext("State"), before=str(detail["from"]),
                           after=str(detail["to"]))]
    lines = []
    for key, value in _ordered(detail):
        if action in CHANGE_ACTIONS and isinstance(value, list) and len(value) == 2:
            lines.append(DetailLine(field_label(key), before=_text(key, value[0]),
                                    after=_text(key, value[1])))
        else:
            lines.append(DetailLine(field_label(key), value=_text(key, value)))
    return lines


ORDER = {key: position for position, key in enumerate(FIELD_LABELS)}


def _ordered(values: dict) -> list[tuple]:
    """The keys in FIELD_LABELS's order (the database keeps JSON keys in its own)."""
    return sorted(values.items(), key=lambda item: (ORDER.get(item[0], len(ORDER)), item[0]))


def _text(key: str, value) -> str:
    if value is None or value == "" or value == []:
        return "–"
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    if isinstance(value, dict):
        return "; ".join(f"{field_label(k)}: {_text(k, v)}" for k, v in _ordered(value))
    if isinstance(value, list):
        return ", ".join(_text(key, item) for item in value)
    if isinstance(value, str) and ISO_TIME.match(value):
        return local_time(datetime.fromisoformat(value.replace("Z", "+00:00")))
    named = {"role": role_labels, "link": link_labels}.get(key)
    return named().get(value, str(value)) if named else str(value)
