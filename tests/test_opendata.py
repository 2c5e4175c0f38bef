"""Open data, the domain and the CLI (smultron/opendata): publish, freeze, republish,
unpublish; the public threshold on a campaign of many small groups, checked against the
places themselves; one grid for every publication; refused variants."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from smultron import opendata
from smultron.cli import main
from smultron.core import config as settings
from smultron.core.errors import AppError
from smultron.models import AuditEvent, OpenDataset, OpenDatasetVersion
from tests import factories, opendata_data
from tests.report_data import at

K = 10
CLI = opendata.Actor(name="test")

# The children each published hexagon rests on, from the places themselves: the places of
# the dataset's campaigns whose (campaign, preschool) rests on k children, in the hexagon
# of ST_HexagonGrid holding the centre of their 250 m base square; a session adds its
# largest children_count.
TRUE_CELLS = """
WITH units AS (
  SELECT campaign_id, preschool_id FROM (
    SELECT campaign_id, preschool_id, session_id, max(children_count) AS most FROM place
    WHERE deleted_at IS NULL AND campaign_id = ANY(:campaigns) GROUP BY 1, 2, 3) t
  GROUP BY 1, 2 HAVING sum(most) >= :k),
pts AS (
  SELECT p.session_id, p.feeling, p.children_count,
         ST_SetSRID(ST_MakePoint((floor(ST_X(g) / 250) + 0.5) * 250,
                                 (floor(ST_Y(g) / 250) + 0.5) * 250), 3006) AS c
  FROM place p JOIN units u USING (campaign_id, preschool_id)
  CROSS JOIN LATERAL (SELECT ST_Transform(p.geom, 3006) AS g) t
  WHERE p.deleted_at IS NULL),
hex AS (
  SELECT h.i, h.j, h.geom FROM ST_HexagonGrid(:size,
      ST_SetSRID((SELECT ST_Expand(ST_Extent(c), 2 * :size) FROM pts)::geometry, 3006)) h)
SELECT feeling, i, j, sum(most)::int AS children_min FROM (
  SELECT pts.feeling, hex.i, hex.j, pts.session_id, max(children_count) AS most
  FROM pts JOIN hex ON ST_Intersects(hex.geom, pts.c) GROUP BY 1, 2, 3, 4) t
GROUP BY 1, 2, 3"""


TRUE_CATEGORIES = (TRUE_CELLS.replace("SELECT p.session_id, p.feeling,",
                                      "SELECT p.session_id, p.feeling, p.category_id,")
                   .replace("SELECT pts.feeling, hex.i, hex.j, pts.session_id",
                            "SELECT pts.feeling, pts.category_id, hex.i, hex.j, pts.session_id")
                   .replace("GROUP BY 1, 2, 3, 4) t\nGROUP BY 1, 2, 3",
                            "GROUP BY 1, 2, 3, 4, 5) t\nGROUP BY 1, 2, 3, 4")
                   .replace("SELECT feeling, i, j, sum(most)",
                            "SELECT feeling, category_id, i, j, sum(most)"))


@pytest.fixture
def data(db):
    return opendata_data.build(db)


def _publish(db, campaigns, **options):
    version = opendata.publish(db, [c.id for c in campaigns], opendata.Options(**options),
                               open_threshold=K, actor=CLI)
    db.commit()
    return version


def _true_cells(db, version) -> dict:
    dataset = db.get(OpenDataset, version.dataset_id)
    rows = db.execute(text(TRUE_CELLS), {"campaigns": dataset.campaign_ids, "k": dataset.threshold,
                                         "size": dataset.hex_size}).all()
    return {(r.feeling, r.i, r.j): r.children_min for r in rows}


def test_no_published_cell_or_figure_rests_on_fewer_than_the_threshold(db, data):
    version = _publish(db, [data.world.campaign])
    content = version.content
    truth = _true_cells(db, version)
    assert content["cells"], "the cluster beside preschool A is published"
    for cell in content["cells"]:
        assert truth[(cell["feeling"], cell["i"], cell["j"])] >= K, cell
        assert cell["children"] >= K
    codes = dict(db.execute(text("SELECT id, code FROM category")).all())
    by_category = {(r.feeling, codes[r.category_id], r.i, r.j): r.children_min
                   for r in db.execute(text(TRUE_CATEGORIES), {
                       "campaigns": [data.world.campaign.id], "k": K, "size": 500})}
    named = [(c["feeling"], code, c["i"], c["j"]) for c in content["cells"]
             for code in c["categories"]]
    assert named, "the cluster's play and water hexagons name their category"
    assert all(by_category[key] >= K for key in named)
    shown_cells = {(c["feeling"], c["i"], c["j"]) for c in content["cells"]}
    assert {key for key, n in by_category.items()
            if n >= K and (key[0], key[2], key[3]) in shown_cells} == set(named)
    small = [key for key, n in truth.items() if n < K]
    assert len(small) >= 8  # the sessions' own hexagons: withheld, only counted
    assert sum(content["withheld_cells"].values()) == len(small)
    shown = {(c["feeling"], c["i"], c["j"]) for c in content["cells"]}
    assert not shown & set(small)
    for table in content["tables"].values():
        for row in table:
            assert row["withheld"] or row["children"] >= K, row
    # no comment, session, date or small preschool anywhere in the snapshot
    flat = str(content)
    assert "Lisas" not in flat and "2026-10-01" not in flat and "session_id" not in flat
    assert "Förskolan C" not in flat and "Förskolan B" not in flat
    assert [p["name"] for p in content["preschools"]] == ["Förskolan A"]
    assert content["preschools_withheld"] == 2
    assert content["period"] == {"start": "2026-09-01", "end": None}


def test_publish_freezes_republish_versions_unpublish_hides(db, data):
    first = _publish(db, [data.world.campaign])
    frozen = dict(first.content)
    # a new, large group after publishing: nothing public changes until republished
    extra = factories.mapping_session(db, data.world.campaign, data.world.school_a,
                                      children=12)
    factories.place(db, extra, at(data.world.school_a, 3000, -3000), "snow", 12)
    db.commit()
    dataset, shown = opendata.public_version(db, first.dataset_id)
    assert shown.id == first.id and shown.content == frozen
    again = _publish(db, [data.world.campaign])
    assert (again.dataset_id, again.version) == (first.dataset_id, 2)
    assert len(again.content["cells"]) == len(frozen["cells"]) + 1
    assert opendata.public_version(db, first.dataset_id)[1].id == again.id
    assert db.get(OpenDatasetVersion, first.id).content == frozen  # kept, not public
    opendata.unpublish(db, first.dataset_id, actor=CLI)
    db.commit()
    with pytest.raises(AppError) as gone:
        opendata.public_version(db, first.dataset_id)
    assert gone.value.status == 404
    assert opendata.public_datasets(db) == []
    actions = db.scalars(select(AuditEvent.action).where(
        AuditEvent.target == f"open_dataset:{first.dataset_id}").order_by(AuditEvent.id)).all()
    assert actions == ["open_data_published", "open_data_published", "open_data_unpublished"]
    republished = opendata.republish(db, first.dataset_id, open_threshold=K, actor=CLI)
    db.commit()
    assert republished.version == 3 and opendata.any_published(db)


def test_an_open_campaign_is_not_published(db, data):
    data.world.campaign.status = "open"
    db.commit()
    with pytest.raises(AppError, match="still open") as refused:
        _publish(db, [data.world.campaign, data.spring])
    assert refused.value.status == 409
    db.rollback()
    assert db.scalar(select(OpenDataset.id)) is None


def test_a_version_that_moves_a_figure_by_a_few_children_is_refused(db, data):
    first = _publish(db, [data.world.campaign])
    beside_a = max(first.content["cells"], key=lambda c: c["children"])
    # three more children in the hexagon beside preschool A (a campaign reopened, or a
    # place restored): subtracting the versions would show those three
    late = factories.mapping_session(db, data.world.campaign, data.world.school_a, children=3)
    factories.place(db, late, at(data.world.school_a, 20, 10), "play", 3)
    db.commit()
    with pytest.raises(AppError, match="fewer than 10 children") as refused:
        opendata.republish(db, first.dataset_id, open_threshold=K, actor=CLI)
    assert refused.value.status == 409
    db.rollback()
    assert opendata.latest_number(db, first.dataset_id) == 1
    assert opendata.public_version(db, first.dataset_id)[1].id == first.id
    moved = dict(first.content, cells=[dict(c, children=c["children"] + 3)
                                       if c["id"] == beside_a["id"] else c
                                       for c in first.content["cells"]])
    assert opendata.small_differences(first.content, moved, K) == 1
    assert opendata.small_differences(first.content, first.content, K) == 0
    grown = dict(first.content, cells=[dict(c, children=c["children"] + K)
                                       for c in first.content["cells"]])
    assert opendata.small_differences(first.content, grown, K) == 0


def test_every_publication_shares_the_grid(db, data):
    autumn = _publish(db, [data.world.campaign])
    spring = _publish(db, [data.spring])
    assert autumn.dataset_id != spring.dataset_id
    cells = {}
    for version in (autumn, spring):
        for cell in version.content["cells"]:
            if (cell["i"], cell["j"]) in cells:
                assert cells[(cell["i"], cell["j"])] == cell["geometry"]
            cells[(cell["i"], cell["j"])] = cell["geometry"]
    shared = {(c["i"], c["j"]) for c in autumn.content["cells"]} & {
        (c["i"], c["j"]) for c in spring.content["cells"]}
    assert shared, "both campaigns' hexagon beside preschool A is the same cell"
    i, j = next(iter(shared))
    ring = db.execute(text(
        "SELECT ST_AsGeoJSON(ST_Transform(h.geom, 4326), 6)::json FROM ST_HexagonGrid(500, "
        "ST_MakeEnvelope(-1e6, 6e6, 2e6, 8e6, 3006)) h WHERE h.i = :i AND h.j = :j"),
        {"i": i, "j": j}).scalar_one()
    assert [[round(x, 5), round(y, 5)] for x, y in ring["coordinates"][0]] == [
        [round(x, 5), round(y, 5)] for x, y in cells[(i, j)]["coordinates"][0]]
    for version in (autumn, spring):
        assert version.content["grid"] == {"crs": "EPSG:3006", "origin": [0, 0],
                                           "edge_m": 500, "function": "ST_HexagonGrid"}


@pytest.mark.parametrize("options, message", [
    ({"hex_size": 100}, "never finer than 250 m"),
    ({"hex_size": 750}, "must be one of"),
    ({"threshold": 5}, "from 10 to 100"),
    ({"licence": "GPL"}, "Choose a licence"),
    ({"min_preschool": -1}, "smallest preschool"),
])
def test_bad_options_are_refused_and_nothing_saved(db, data, options, message):
    with pytest.raises(AppError, match=message):
        _publish(db, [data.world.campaign], **options)
    db.rollback()
    assert db.scalar(select(OpenDataset.id)) is None


def test_overlapping_variants_are_refused(db, data):
    first = _publish(db, [data.world.campaign])
    for campaigns, options, message in (
            ([data.world.campaign], {"hex_size": 1000}, "another size or threshold"),
            ([data.world.campaign], {"threshold": 12}, "another size or threshold"),
            ([data.world.campaign, data.spring], {}, "one dataset only")):
        with pytest.raises(AppError, match=message) as refused:
            _publish(db, campaigns, **options)
        assert refused.value.status == 409
        db.rollback()
    opendata.unpublish(db, first.dataset_id, actor=CLI)
    db.commit()
    with pytest.raises(AppError, match="another size"):  # also after unpublishing
        _publish(db, [data.world.campaign], hex_size=250)
    db.rollback()
    assert db.scalar(select(OpenDataset.id).where(OpenDataset.id != first.dataset_id)) is None


def test_the_public_threshold_is_never_below_the_internal_one():
    env = {"SMULTRON_ANONYMITY_THRESHOLD": "12"}
    with pytest.raises(settings.ConfigError, match="SMULTRON_OPEN_THRESHOLD"):
        settings.check(settings.from_environment(env))
    assert settings.from_environment({})["OPEN_THRESHOLD"] == 10
    settings.check(settings.from_environment({**env, "SMULTRON_OPEN_THRESHOLD": "12"}))


def test_cli_publishes_prints_the_url_and_unpublishes(db, data, database_url, monkeypatch):
    from click.testing import CliRunner

    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("SMULTRON_BASE_URL", "https://smultron.example.org")
    runner = CliRunner()
    result = runner.invoke(main, ["open", "publish", "--campaign", "Hösten 2026"])
    assert result.exit_code == 0, result.output
    dataset_id = db.scalar(select(OpenDataset.id))
    assert f"dataset {dataset_id} (version 1)" in result.output
    assert f"https://smultron.example.org/open/{dataset_id}" in result.output
    refused = runner.invoke(main, ["open", "publish", "--campaign", "Hösten 2026",
                                   "--hex-size", "1000"])
    assert refused.exit_code == 1 and "another size or threshold" in refused.output
    unknown = runner.invoke(main, ["open", "publish", "--campaign", "Nope"])
    assert unknown.exit_code == 1 and "no campaign named Nope" in unknown.output
    result = runner.invoke(main, ["open", "unpublish", str(dataset_id)])
    assert result.exit_code == 0, result.output
    db.expire_all()
    assert db.get(OpenDataset, dataset_id).status == "unpublished"
    assert runner.invoke(main, ["open", "unpublish", "999"]).exit_code == 1
