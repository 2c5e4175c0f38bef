"""The map's words: labels for the forms and every string the map's JavaScript shows
(passed to it as JSON, translated here)."""

from __future__ import annotations

from flask_babel import gettext as _

from smultron.core.i18n import LANGUAGES


def age_group_labels() -> dict[str, str]:
    return {"1-2": _("1–2 years"), "3-4": _("3–4 years"), "5-6": _("5–6 years"),
            "mixed": _("Mixed ages")}


def session_language_labels() -> list[tuple[str, str, str | None]]:
    """(code, label, the label's own language) for the start page's language question:
    the interface languages in their own names, then "another language"."""
    return [*((code, name, code) for code, name in LANGUAGES.items()),
            ("other", _("Another language"), None)]


def season_labels() -> dict[str, str]:
    return {"summer": _("Summer"), "winter": _("Winter"), "all_year": _("All year")}


def js_strings() -> dict[str, str]:
    return {
        "map_label": _("Map of the preschool's neighbourhood. Arrow keys move the map; "
                       "Enter or the Place here button marks the place at the cross."),
        "new_place": _("New place"),
        "new_area": _("New area"),
        "new_route": _("New route"),
        "edit_place": _("Change the place"),
        "save": _("Save"),
        "save_anyway": _("Save anyway"),
        "edit": _("Change"),
        "move": _("Move"),
        "show_on_map": _("Show on the map"),
        "discard": _("Throw away the change"),
        "no_position": _("The tablet could not tell where it is. Allow location, or move the "
                         "map by hand."),
        "delete": _("Delete"),
        "yes_delete": _("Yes, delete"),
        "choose_category": _("Choose what kind of place it is."),
        "children_range": _("From 1 to %(n)s children."),
        "comment_too_long": _("At most %(n)s characters."),
        "chars_left": _("%(n)s characters left"),
        "answer": _("The planners' answer: %(status)s"),
        "answer_kept": _("Kept"),
        "answer_improved": _("Improved"),
        "answer_changed": _("Changed"),
        "answer_not_possible": _("Not possible"),
        "answer_considering": _("Being considered"),
        "favourite": _("Favourite place"),
        "scary": _("Scary place"),
        "children": _("children"),
        "child": _("child"),
        "all_saved": _("Everything is saved."),
        "waiting_one": _("1 place is waiting to be sent."),
        "waiting_many": _("%(n)s places are waiting to be sent."),
        "refused_one": _("1 place was not saved: correct it or throw it away in the list."),
        "refused_many": _("%(n)s places were not saved: correct them or throw them away in "
                          "the list."),
        "offline": _("No network: places are kept on this device and sent later."),
        "server_error": _("The server could not take the places just now: they are kept on "
                          "this device and sent later."),
        "load_failed": _("The saved places could not be loaded from the server. Reload the "
                         "page to try again; new places are kept on this device."),
        "saved_offline": _("Saved on this device."),
        "saved": _("Saved."),
        "deleted": _("Deleted."),
        "moved": _("Moved."),
        "failed": _("Not saved: %(reason)s"),
        "conflict": _("Someone else changed this place meanwhile; their version is shown."),
        "login_again": _("You have been logged out. Log in again (in a new tab) and the "
                         "waiting places will be sent."),
        "legend": _("Legend"),
        "legend_mine": _("Places of this session"),
        "legend_earlier": _("Earlier places of the preschool"),
        "legend_preschool": _("The preschool"),
        "place_kind_point": _("Place"),
        "place_kind_area": _("Area"),
        "place_kind_route": _("Route"),
        "waiting": _("Waiting to be sent"),
        "drawing_area": _("Drawing an area: tap the corners, then Finish drawing."),
        "drawing_route": _("Drawing a route: tap along the way, then Finish drawing."),
        "moving": _("Drag the place, or move the map so the cross is where it should be "
                    "and press Move here."),
        "moving_area": _("Drag the corners of the area to where they should be (the small "
                         "points between them add a corner), then press Save."),
        "moving_route": _("Drag the points of the route to where they should be (the small "
                          "points between them add one), then press Save."),
        "too_few_points": _("Add more points first."),
        "finish_blocked": _("Some places are still waiting to be sent. Connect to the "
                            "network first, then finish."),
        "finish_refused": _("Some changes were refused. Correct them or throw them away in the "
                            "list, then finish."),
        **photo_strings(),
    }


def photo_strings() -> dict[str, str]:
    return {
        "photo_alt": _("Photo %(n)s of %(total)s of the place"),
        "photo_remove": _("Remove"),
        "photo_remove_n": _("Remove photo %(n)s"),
        "photo_waiting": _("Waiting to be sent"),
        "photo_failed": _("Photo not saved: %(reason)s"),
        "photo_too_many": _("A place has at most %(n)s photos."),
        "photo_not_image": _("%(name)s is not a photo (JPEG, PNG, WebP or HEIC)."),
        "photo_too_large": _("%(name)s is too large: at most %(n)s MB."),
        "photos_waiting_one": _("1 photo is waiting to be sent."),
        "photos_waiting_many": _("%(n)s photos are waiting to be sent."),
        "photos_refused_one": _("1 photo was not saved: open its place to see why."),
        "photos_refused_many": _("%(n)s photos were not saved: open their places to see why."),
    }


def geoman_strings() -> dict[str, dict[str, str]]:
    """Leaflet-Geoman's words (its translation file's keys) in the page's language, for
    every map that draws with it (staff map, planner, reports, admin); measurements are
    left out (no map shows them)."""
    return {
        "tooltips": {
            "placeMarker": _("Click to place a marker"),
            "placeMarkerTouch": _("Tap the map to place a marker"),
            "firstVertex": _("Tap or click to place the first point"),
            "continueLine": _("Tap or click to add the next point"),
            "finishLine": _("Tap or click the last point again to finish"),
            "finishPoly": _("Tap or click the first point to finish"),
            "finishRect": _("Tap or click to finish"),
            "startCircle": _("Tap or click to place the centre of the circle"),
            "finishCircle": _("Tap or click to finish the circle"),
            "placeCircleMarker": _("Tap or click to place a circle marker"),
            "placeText": _("Tap or click to place a text"),
            "selectFirstLayerFor": _("Choose the first shape for {action}"),
            "selectSecondLayerFor": _("Choose the second shape for {action}"),
        },
        "actions": {
            "finish": _("Finish"),
            "cancel": _("Cancel"),
            "removeLastVertex": _("Remove the last point"),
        },
        "buttonTitles": {
            "drawMarkerButton": _("Draw a marker"),
            "drawPolyButton": _("Draw an area"),
            "drawLineButton": _("Draw a line"),
            "drawCircleButton": _("Draw a circle"),
            "drawRectButton": _("Draw a rectangle"),
            "editButton": _("Change the shapes"),
            "dragButton": _("Move the shapes"),
            "cutButton": _("Cut the shapes"),
            "deleteButton": _("Remove shapes"),
            "drawCircleMarkerButton": _("Draw a circle marker"),
            "snappingButton": _("Snap a dragged point to other shapes and corners"),
            "pinningButton": _("Pin shared corners together"),
            "rotateButton": _("Rotate the shapes"),
            "drawTextButton": _("Write a text"),
            "scaleButton": _("Scale the shapes"),
            "autoTracingButton": _("Trace a line automatically"),
            "snapGuidesButton": _("Show snap guides"),
            "unionButton": _("Join shapes"),
            "differenceButton": _("Subtract shapes"),
        },
    }
