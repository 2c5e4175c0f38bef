"""The child impact assessment's basis as a document: a list of blocks (headings,
paragraphs, quotes, tables, an image) that the Word writer (docx.py) and the PDF writer
(the report machinery, WeasyPrint) both lay out, so the two hold the same content.

Two versions. The internal one (planners) holds single places with their answer and
weighing. The publishable one (``public=True``) is built from the published report of
the plan area (smultron.reports: the anonymity rule, 250 m squares, hexagons): every
figure resting on fewer than k children is withheld there, exactly as in the reports,
and no place is located more precisely than the report's grid.

Every text is a Message (English, translated by the ``gettext`` given), so the document
follows the reader's language.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date

from smultron.assessment import TEXT_LABELS, WEIGHING_LABELS
from smultron.assessment.evidence import Evidence, PlanPlace
from smultron.core.messages import M, translate
from smultron.mapping_sessions import language_names
from smultron.models import ASSESSMENT_TEXTS, RESPONSE_STATUSES, SEASONS
from smultron.reports.labels import AGE_GROUPS, _slug, number
from smultron.responses import STATUS_LABELS


@dataclass
class Block:
    kind: str  # title, heading, paragraph, note, quote, table, image (PNG), photo (JPEG)
    text: str = ""
    level: int = 1
    lines: list = field(default_factory=list)  # title: (label, value); quote: source
    header: list = field(default_factory=list)
    rows: list = field(default_factory=list)
    image: bytes | None = None
    id: str = ""


@dataclass
class Document:
    title: str
    subject: str
    author: str
    lang: str
    public: bool
    blocks: list[Block]
    file_stem: str


class Writer:
    """Collects blocks; ``t`` turns a Message into the reader's language."""

    def __init__(self, gettext, lang: str, k: int):
        self.gettext, self.lang, self.k, self.blocks = gettext, lang, k, []

    def t(self, message) -> str:
        return translate(message, self.gettext)

    def n(self, value) -> str:
        return number(value, self.lang)

    def heading(self, message, level: int = 1, id_: str = "") -> None:
        self.blocks.append(Block("heading", self.t(message), level=level, id=id_))

    def para(self, message, kind: str = "paragraph") -> None:
        self.blocks.append(Block(kind, self.t(message)))

    def text(self, text: str) -> None:
        for part in [p.strip() for p in text.split("\n\n")] or [""]:
            if part:
                self.blocks.append(Block("paragraph", part))

    def quote(self, text: str, source: str) -> None:
        self.blocks.append(Block("quote", text, lines=[source]))

    def table(self, caption, header: list, rows: list, id_: str = "") -> None:
        self.blocks.append(Block("table", self.t(caption), header=[self.t(h) for h in header],
                                 rows=[[str(c) for c in row] for row in rows], id=id_))


def _where(w: Writer, place: PlanPlace) -> str:
    if place.relation == "inside":
        return w.t(M("inside"))
    return w.t(M("%(m)s m away", m=w.n(round(place.distance_m))))


def _feeling(w: Writer, feeling: str) -> str:
    return w.t(M("Favourite place") if feeling == "favourite" else M("Scary place"))


def _season(w: Writer, season: str) -> str:
    return w.t({"summer": M("Summer"), "winter": M("Winter"), "all_year": M("All year")}[season])


def _answer(w: Writer, response: dict | None) -> str:
    if not response:
        return w.t(M("Not answered yet"))
    status = w.t(STATUS_LABELS[response["status"]])
    return f"{status}: {response['text']}" if response["text"] else status


def _title(w: Writer, ev: Evidence, author: str, public: bool, today: date) -> None:
    w.blocks.append(Block("title", w.t(M("Child impact assessment: the basis")), lines=[
        (w.t(M("Plan")), ev.plan.name), (w.t(M("Municipality")), ev.municipality),
        (w.t(M("Date")), today.isoformat()), (w.t(M("Author")), author),
        (w.t(M("Version")), w.t(M("Publishable: no figure rests on fewer than %(k)d "
                                  "children, no place is located more precisely than "
                                  "250 m squares.", k=w.k) if public else
                                M("Internal: holds single children's places; publish the "
                                  "publishable version instead.")))]))
    w.para(M("This basis collects what the children said about the places inside the plan "
             "area %(name)s and within %(buffer)d m of it, how each place was weighed and "
             "what the children were told. Its parts follow the structure of a child impact "
             "assessment (barnkonsekvensanalys): the law, the children's views, "
             "alternatives, conflicts, consequences, compensating measures and the feedback "
             "given. Paste them into the plan description.", name=ev.plan.name,
             buffer=ev.buffer_m))


def _heard(w: Writer, ev: Evidence) -> None:
    w.heading(M("Who was heard"), id_="heard")
    if ev.campaigns:
        w.para(M("Campaigns: %(names)s.", names=", ".join(ev.campaigns)))
    rows = [[h.preschool, w.n(h.sessions),
             f"{h.first.isoformat()} – {h.last.isoformat()}" if h.first != h.last
             else h.first.isoformat(),
             ", ".join(w.t(M(AGE_GROUPS[a])) for a in h.age_groups),
             language_names(h.languages, w.gettext),
             w.n(h.children), w.n(h.enrolled)] for h in ev.heard]
    w.table(M("Children taking part, by preschool"),
            [M("Preschool"), M("Sessions"), M("Dates"), M("Age groups"),
             M("Languages"), M("Children taking part"), M("Enrolled")], rows, "table-heard")
    w.para(M("Children taking part counts the children present at each mapping session: a "
             "child at two sessions is counted twice."), "note")


def _said(w: Writer, ev: Evidence) -> None:
    w.heading(M("What the children said"), id_="said")
    inside = [p for p in ev.places if p.relation == "inside"]
    w.para(M("%(inside)d places inside the plan area and %(near)d within %(buffer)d m of it, "
             "chosen %(children)d times by children.", inside=len(inside),
             near=len(ev.places) - len(inside), buffer=ev.buffer_m,
             children=sum(p.children_count for p in ev.places)))
    groups: dict[tuple, list[PlanPlace]] = defaultdict(list)
    for p in ev.places:
        groups[(p.feeling, p.category_label)].append(p)
    rows = []
    for (feeling, label), members in sorted(groups.items()):
        ins = sum(1 for p in members if p.relation == "inside")
        rows.append([label, _feeling(w, feeling), w.n(ins), w.n(len(members) - ins),
                     w.n(sum(p.children_count for p in members))])
    w.table(M("Places by category"), [M("Category"), M("Feeling"), M("Inside"), M("Near"),
                                       M("Children's choices")], rows, "table-categories")
    seasons = Counter((p.feeling, p.season) for p in ev.places)
    w.table(M("Places by feeling and season"), [M("Feeling"), *(
        {"summer": M("Summer"), "winter": M("Winter"), "all_year": M("All year")}[s]
        for s in SEASONS)],
        [[_feeling(w, f), *(w.n(seasons[(f, s)]) for s in SEASONS)]
         for f in ("favourite", "scary")], "table-seasons")
    quotes = [p for p in ev.places if p.comment]
    w.heading(M("In the children's words"), 2)
    if not quotes:
        w.para(M("No approved comments."), "note")
    for p in quotes:
        w.quote(p.comment, f"{p.category_label}, {_feeling(w, p.feeling).lower()}, "
                           f"{p.preschool}, {_where(w, p)}")


def _weighing(w: Writer, ev: Evidence) -> None:
    w.heading(M("The places and how they were weighed"), id_="weighing")
    rows = [[f"{p.category_label} · {_feeling(w, p.feeling)} · {_where(w, p)} · "
             f"{w.t(M('%(n)s children', n=w.n(p.children_count)))} · {p.preschool}",
             _answer(w, p.response), p.consequence, p.measure] for p in ev.places]
    w.table(M("Each place, its answer and its weighing"),
            [M("Place"), M("Answer"), WEIGHING_LABELS["consequence"],
             WEIGHING_LABELS["measure"]], rows, "table-weighing")
    if not ev.listed_all:
        w.para(M("Only the first places are listed; the GeoPackage export has every one."),
               "note")


def _photos(w: Writer, ev: Evidence) -> None:
    """The approved photos of the places (the internal version only: a photo shows a
    single place), each captioned with its place."""
    w.heading(M("Photos of the places"), id_="photos")
    if not ev.photos:
        w.para(M("No approved photos of these places."), "note")
        return
    places = {p.id: p for p in ev.places}
    for shot in ev.photos:
        place = places[shot.place_id]
        caption = f"{place.category_label} · {_feeling(w, place.feeling)} · " \
                  f"{_where(w, place)} · {place.preschool}"
        if shot.taken_on:
            caption += " · " + w.t(M("taken %(day)s", day=shot.taken_on.isoformat()))
        alt = w.t(M("Photo of the place: %(place)s", place=caption))
        w.blocks.append(Block("photo", caption, image=shot.thumb, lines=[alt]))
    if not ev.photos_all:
        w.para(M("Only the first %(n)d photos are shown; the GeoPackage export has every "
                 "approved one.", n=len(ev.photos)), "note")


def _texts(w: Writer, ev: Evidence) -> None:
    w.heading(M("The assessment"), id_="assessment")
    for name in ASSESSMENT_TEXTS:
        w.heading(TEXT_LABELS[name][0], 2)
        if ev.texts[name].strip():
            w.text(ev.texts[name])
        else:
            w.para(M("Not written yet."), "note")


def _decisions(w: Writer, ev: Evidence) -> None:
    w.heading(M("Decision log"), id_="decisions")
    if not ev.decisions:
        w.para(M("No decisions are logged yet."), "note")
        return
    w.table(M("Decisions"), [M("Date"), M("Decision")],
            [[d.decided_on.isoformat(), d.text] for d in ev.decisions], "table-decisions")


def _feedback_rows(w: Writer, ev: Evidence) -> list:
    counts = Counter(p.response["status"] if p.response else None for p in ev.places)
    children = Counter()
    for p in ev.places:
        children[p.response["status"] if p.response else None] += p.children_count
    return [[w.t(STATUS_LABELS[key]) if key else w.t(M("Not answered yet")),
             w.n(counts[key]), w.n(children[key])]
            for key in [*RESPONSE_STATUSES, None] if counts[key]]


def _feedback(w: Writer, ev: Evidence, public: bool) -> None:
    w.heading(M("The feedback given to the children"), id_="feedback")
    w.para(M("Each place's answer is what the children are told (on the staff's map and the "
             "preschool's answers page): a status and a reason written for four-year-olds."))
    if public:  # counts over the buffer would be finer than the report's squares
        w.para(M("The answers given, by status (the number of places is in the internal "
                 "version):"))
    else:
        w.table(M("Answers by status"), [M("Answer"), M("Places"), M("Children's choices")],
                _feedback_rows(w, ev), "table-feedback")
    reasons = defaultdict(list)
    for p in ev.places:
        if p.response and p.response["text"] and p.response["text"] not in reasons[
                p.response["status"]]:
            reasons[p.response["status"]].append(p.response["text"])
    for status in RESPONSE_STATUSES:
        for text in reasons.get(status, []):
            w.quote(text, w.t(STATUS_LABELS[status]))


def _method(w: Writer, public: bool) -> None:
    w.heading(M("Method"), id_="method")
    w.para(M("Preschool staff sat with groups of children at a tablet and marked the places "
             "the children love and the places they find scary on a map of the preschool's "
             "neighbourhood. A place records its category, whether it is a favourite or "
             "scary, its season and how many children of which age group chose it; no child "
             "is stored as a person, and what the children said reaches this document only "
             "after a planner approved it."))
    w.para(M("The anonymity rule: reports for anyone who may not see single places withhold "
             "every figure resting on fewer than %(k)d children, and withhold the next "
             "smallest too when that figure could otherwise be worked out from a total. The "
             "publishable version of this document follows the same rule and shows places "
             "only as 250 m squares and hexagons.", k=w.k))
    w.para(M("What the data cannot say: it covers the children who took part, not every child "
             "in the area; a count is of children's choices, so one child may be counted in "
             "several places; children mark what they can show on a map with an adult, and "
             "places used at other seasons may be missing; and an answer or weighing is the "
             "planner's, not the children's."))
    if not public:
        w.para(M("This internal version holds single places and must not be published."),
               "note")


def build(ev: Evidence, gettext, lang: str, author: str, k: int, today: date, *,
          public: bool = False, public_report: dict | None = None,
          map_png: bytes | None = None, map_alt: str = "") -> Document:
    """The document's blocks; ``public``: the publishable version, its figures from
    ``public_report`` (the plan area's published report; None when no place is near)."""
    w = Writer(gettext, lang, k)
    _title(w, ev, author, public, today)
    if public:
        from smultron.assessment import public as published

        published.heard(w, ev, public_report)
        published.said(w, ev, public_report)
    else:
        _heard(w, ev)
        _said(w, ev)
    w.heading(M("Map"), id_="map")
    if map_png:
        w.blocks.append(Block("image", w.t(M("The plan area, the buffer and the children's "
                                             "places")), image=map_png, lines=[map_alt]))
    else:
        w.para(M("No places to draw."), "note")
    if public:
        published.weighing(w, ev, public_report)
    else:
        _weighing(w, ev)
        _photos(w, ev)
    _texts(w, ev)
    _decisions(w, ev)
    _feedback(w, ev, public)
    _method(w, public)
    title = w.t(M("Child impact assessment: the basis"))
    return Document(f"{title}: {ev.plan.name}", ev.municipality, author, lang, public,
                    w.blocks, _stem(ev, public, today))


def _stem(ev: Evidence, public: bool, today: date) -> str:
    kind = "bka-publishable" if public else "bka"
    return f"smultron-{kind}-{_slug(ev.plan.name)[:80] or 'plan'}-{today.isoformat()}"


def map_alt(w_gettext, ev: Evidence, public: bool) -> str:
    """The map's text alternative: what it shows and how the symbols read."""
    if public:
        text = M("The plan area over hexagons of the reports' grid: the darker a hexagon, "
                 "the more children's choices of favourite places in it; purple hexagons "
                 "hold scary places. Only hexagons resting on enough children are drawn.")
    else:
        scary = sum(1 for p in ev.places if p.feeling == "scary")
        text = M("The plan area (red outline) and the %(buffer)d m buffer around it (grey), "
                 "with %(favourite)d favourite places as circles in their category's colour "
                 "and %(scary)d scary places as purple triangles.", buffer=ev.buffer_m,
                 favourite=len(ev.places) - scary, scary=scary)
    return translate(text, w_gettext)
