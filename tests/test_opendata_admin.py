"""Administration › Open data: publish, republish and unpublish through the form (CSRF,
admins only, audited), refused input re-shown with a message and nothing saved."""

from __future__ import annotations

from sqlalchemy import func, select

from smultron.models import AuditEvent, OpenDataset, OpenDatasetVersion
from tests import factories, opendata_data


def _form(auth, **values) -> dict:
    return {"csrf_token": auth.csrf_token(), "hex_size": "500", "threshold": "10",
            "min_preschool": "20", "licence": "CC0-1.0", **values}


def test_admin_publishes_republishes_and_unpublishes(client, auth, db):
    data = opendata_data.build(db)
    auth.login(data.world.email("admin"))
    page = client.get("/admin/open-data")
    assert page.status_code == 200 and "Öppna data" in page.get_data(as_text=True)
    sent = client.post("/admin/open-data", data=_form(auth, campaigns=[
        str(data.world.campaign.id)]))
    assert sent.status_code == 303
    dataset = db.scalar(select(OpenDataset))
    assert dataset.hex_size == 500 and dataset.status == "published"
    assert client.get(f"/open/{dataset.id}").status_code == 200
    again = client.post(f"/admin/open-data/{dataset.id}/republish",
                        data={"csrf_token": auth.csrf_token()})
    assert again.status_code == 303
    assert db.scalar(select(func.max(OpenDatasetVersion.version))) == 2
    gone = client.post(f"/admin/open-data/{dataset.id}/unpublish",
                       data={"csrf_token": auth.csrf_token()})
    assert gone.status_code == 303
    assert client.get(f"/open/{dataset.id}").status_code == 404
    events = db.scalars(select(AuditEvent).where(AuditEvent.action.like("open_data_%"))
                        .order_by(AuditEvent.id)).all()
    assert [e.action for e in events] == ["open_data_published", "open_data_published",
                                          "open_data_unpublished"]
    assert {e.actor for e in events} == {data.world.email("admin")}


def test_refused_input_is_shown_with_a_message_and_nothing_saved(client, auth, db):
    data = opendata_data.build(db)
    auth.login(data.world.email("admin"))
    camp = str(data.world.campaign.id)
    for values, status, text in (
            ({"campaigns": []}, 422, "Välj kampanjerna"),
            ({"campaigns": [camp], "threshold": "3"}, 422, "Offentlig tröskel"),
            ({"campaigns": [camp], "hex_size": "100"}, 422, "250"),
            ({"campaigns": ["99999"]}, 404, "Den kampanjen finns inte")):
        response = client.post("/admin/open-data", data=_form(auth, **values))
        assert response.status_code == status, values
        assert text in response.get_data(as_text=True), values
    assert db.scalar(select(OpenDataset.id)) is None
    no_csrf = client.post("/admin/open-data", data={"campaigns": [str(data.world.campaign.id)]})
    assert no_csrf.status_code == 400 and db.scalar(select(OpenDataset.id)) is None


def test_an_open_campaign_is_marked_and_refused_in_the_admins_language(client, auth, db):
    data = opendata_data.build(db)
    data.world.campaign.status = "open"
    db.commit()
    auth.login(data.world.email("admin"))
    page = client.get("/admin/open-data").get_data(as_text=True)
    assert "(fortfarande öppen)" in page and "Bara stängda kampanjer publiceras." in page
    sent = client.post("/admin/open-data", data=_form(auth, campaigns=[
        str(data.world.campaign.id)]))
    assert sent.status_code == 409
    assert "är fortfarande öppen" in sent.get_data(as_text=True)
    finnish = client.post("/admin/open-data?lang=fi", data=_form(auth, campaigns=[
        str(data.world.campaign.id)]))
    assert finnish.status_code == 409 and "on yhä avoinna" in finnish.get_data(as_text=True)
    assert db.scalar(select(OpenDataset.id)) is None


def test_only_admins_reach_the_page(client, auth, db):
    world = factories.World.build(db)
    assert client.get("/admin/open-data").status_code == 302
    auth.login(world.email("planner"))
    assert client.get("/admin/open-data").status_code == 403
    assert client.post("/admin/open-data", data={"csrf_token": auth.csrf_token()}
                       ).status_code == 403
