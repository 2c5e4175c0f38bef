"""Readable names for the audit log's action codes (the code is shown too)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

ACTION_LABELS = {
    "login": _l("Logged in"), "login_failed": _l("Failed login"), "logout": _l("Logged out"),
    "password_set": _l("Password set through a link"),
    "password_changed": _l("Password changed"),
    "token_created": _l("API token created"), "token_revoked": _l("API token revoked"),
    "export": _l("Export of places"), "report_pdf": _l("Report as PDF"),
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
    "plan_area_created": _l("Plan area uploaded"), "plan_area_deleted": _l("Plan area deleted"),
}


def label(action: str) -> str:
    found = ACTION_LABELS.get(action)
    return str(found) if found is not None else action
