"""Who may see what: the server-side rules every query goes through."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, true

from smultron.core.errors import Forbidden, NotFound
from smultron.core.messages import M
from smultron.models import User

RAW_PLACE_ROLES = frozenset({"staff", "planner", "admin"})
PLACE_EDITOR_ROLES = frozenset({"staff"})  # mark and change places
# Planners and admins: they see single places of every preschool, moderate, answer,
# export, restore deleted places and plan.
PLANNERS = frozenset({"planner", "admin"})


@dataclass(frozen=True)
class Viewer:
    """The person asking, reduced to what access checks need."""

    user_id: int
    role: str
    preschool_ids: frozenset[int]

    @classmethod
    def of(cls, user: User) -> Viewer:
        return cls(user.id, user.role, frozenset(p.id for p in user.preschools))

    @property
    def sees_all_preschools(self) -> bool:
        return self.role in ("planner", "admin", "official")

    def may_see_raw_places(self) -> bool:
        """Officials read aggregates only, never single places."""
        return self.role in RAW_PLACE_ROLES

    def may_see_preschool(self, preschool_id: int) -> bool:
        return self.sees_all_preschools or preschool_id in self.preschool_ids

    def preschool_filter(self, column) -> ColumnElement[bool]:
        """A WHERE clause limiting ``column`` (a preschool id) to what this viewer sees."""
        if self.sees_all_preschools:
            return true()
        return column.in_(sorted(self.preschool_ids))

    def preschool_sql(self, column: str) -> tuple[str, dict]:
        """The same rule for a hand-written SQL statement: a condition on ``column`` (a
        fixed identifier such as ``p.preschool_id``, never input) and its parameters."""
        if self.sees_all_preschools:
            return "TRUE", {}
        return column + " = ANY(:viewer_preschools)", {
            "viewer_preschools": sorted(self.preschool_ids)}

    def check_preschool(self, preschool_id: int) -> None:
        """404 for a preschool the viewer may not see (its existence is not revealed)."""
        if not self.may_see_preschool(preschool_id):
            raise NotFound(M("There is no such preschool"))

    def require_raw_places(self) -> None:
        if not self.may_see_raw_places():
            raise Forbidden(M("Your role sees reports, not single places"))
