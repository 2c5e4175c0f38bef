"""The one validation error (smultron/core/problems.Invalid): problems are Messages with a
field, translated wherever they go (the message, the detail, a form's fields)."""

from __future__ import annotations

from smultron.core.messages import M, gettext_for, translate
from smultron.core.problems import N_, Collector, Invalid, Problem

SWEDISH = gettext_for("sv")


def test_problems_together_are_one_message_translated_in_its_parts():
    problems = Collector()
    problems.add(N_("%(label)s is missing"), "name", label=N_("The name"))
    problems.add_message(M("Choose the children's age group."), "age_group")
    with_two = Invalid(problems.problems)
    assert str(with_two) == "The name is missing; Choose the children's age group."
    assert translate(with_two.message, SWEDISH) == (
        translate(with_two.problems[0], SWEDISH) + "; "
        + translate(with_two.problems[1], SWEDISH))
    assert translate(with_two.problems[0], SWEDISH) != "The name is missing"
    assert translate(with_two.detail, SWEDISH) == [translate(p, SWEDISH)
                                                   for p in with_two.problems]
    assert [p.field for p in with_two.problems] == ["name", "age_group"]


def test_a_message_per_field_is_the_same_error():
    refused = Invalid.of_fields({"feeling": M("Choose how the place feels."),
                                 "season": M("Choose a season.")},
                                M("Some of the place's details need fixing."))
    assert refused.status == 422 and set(refused.fields) == {"feeling", "season"}
    assert isinstance(refused.fields["season"], Problem)
    assert refused.detail == {"fields": {"feeling": "Choose how the place feels.",
                                         "season": "Choose a season."}}
    assert translate(refused.message, SWEDISH) != str(refused.message)


def test_a_problem_inside_a_problem_is_rendered_and_translated():
    row = Problem(N_("Row %(row)s: %(problem)s"), "lon",
                  {"row": 3, "problem": Problem(N_("%(label)s is missing"), "lon",
                                                {"label": N_("The name")})})
    assert str(row) == "Row 3: The name is missing"
    assert "3" in translate(row, SWEDISH) and "The name" not in translate(row, SWEDISH)
