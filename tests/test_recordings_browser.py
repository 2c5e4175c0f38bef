"""Read aloud in Debian's Chromium (issue 15): the speaker buttons on the answers page and
the mapping panel speak with the device's voice in the page's language (speechSynthesis
stubbed in the page: a Swedish voice only), play the recording where there is no voice
(North Sámi, Meänkieli; HTMLMediaElement.play stubbed), never play by themselves, work
offline after one visit, and pass axe; the admin's recordings page shows a refused upload
at its field."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from smultron.feedback import recordings
from smultron.models import Category
from tests import audio_data, factories, feedback_data
from tests.conftest import browser_login, run_axe

pytestmark = pytest.mark.browser

# The device: one Swedish voice; what is spoken and played is recorded, nothing sounds.
STUB = """
window.__spoken = [];
window.__played = [];
const voices = [{ lang: 'sv-SE', name: 'Alva', voiceURI: 'Alva', default: true }];
Object.defineProperty(window, 'speechSynthesis', { configurable: true, value: {
  getVoices: () => voices, speak: (u) => window.__spoken.push({ text: u.text, lang: u.lang }),
  cancel() {}, pause() {}, resume() {}, addEventListener() {}, speaking: false, pending: false } });
HTMLMediaElement.prototype.play = function play() {
  window.__played.push(this.src);
  return Promise.resolve();
};
"""


@pytest.fixture
def answered(db, world):
    return feedback_data.build(db, world)


def record(db, world, kind: str, key, lang: str) -> int:
    row = recordings.put(db, world.users["admin"], recordings.Subject(kind, key), lang,
                         recordings.check("sound.ogg", audio_data.ogg(1)))
    db.commit()
    return row.id


def category_id(db, code: str) -> int:
    return db.scalar(select(Category.id).where(Category.code == code))


def recording_url(world, recording_id: int) -> str:
    return f"/map/preschools/{world.school_a.id}/recordings/{recording_id}"


def open_answers(page, base: str, world, lang: str = "sv") -> None:
    page.add_init_script(STUB)
    browser_login(page, base, world.email("staff_a"))
    page.wait_for_url(re.compile(r"/map/preschools/\d+$"))
    page.goto(f"{base}/map/preschools/{world.school_a.id}/answers?lang={lang}")
    expect(page.locator("body")).to_have_attribute("data-map-ready", "yes")
    expect(page.locator("body")).to_have_attribute("data-offline-ready", "yes")


def spoken(page) -> list:
    return page.evaluate("window.__spoken")


def played(page) -> list:
    return page.evaluate("window.__played")


def test_a_speaker_button_reads_the_answer_with_the_devices_voice(guarded_page, live_server,
                                                                 world, answered):
    page = guarded_page
    open_answers(page, live_server, world)
    assert spoken(page) == [] and played(page) == []  # nothing by itself
    expect(page.locator(".answer-speak")).to_have_count(3)
    button = page.get_by_role("button", name="Läs upp: Lek: Bevaras")
    box = button.bounding_box()
    assert box["width"] >= 48 and box["height"] >= 48
    button.click()
    assert spoken(page) == [{"text": "Bevaras. Klätterträdet får stå kvar.", "lang": "sv-SE"}]
    third = page.locator(".answer-speak").nth(2)
    expect(third).to_have_attribute("aria-label", re.compile(r"^Läs upp: .+: Inte besvarad än$"))
    third.click()
    assert spoken(page)[-1]["text"] == "Inte besvarad än"
    expect(page.locator("#answer-dialog")).to_be_hidden()  # the speaker is not the card
    page.locator(".answer-open").nth(1).click()
    page.get_by_role("button", name="Läs upp: Vatten: Utreds").last.click()
    assert spoken(page)[-1]["text"] == "Utreds. Vi tittar på en badplats."
    assert played(page) == []
    assert run_axe(page) == []
    page.keyboard.press("Escape")
    for width in (360, 390, 768, 1024):
        page.set_viewport_size({"width": width, "height": 800})
        assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
        assert run_axe(page) == [], width


def test_without_a_voice_the_recording_plays_and_offline_too(guarded_page, live_server, db,
                                                           world, answered):
    page = guarded_page
    kept = record(db, world, "status", "kept", "se")
    record(db, world, "status", "considering", "fit")  # never offered in se
    open_answers(page, live_server, world, "se")
    speakers = page.locator(".answer-speak")
    expect(speakers.nth(0)).to_be_visible()
    expect(speakers.nth(1)).to_be_hidden()  # no voice, no North Sámi recording
    expect(speakers.nth(2)).to_be_hidden()
    speakers.nth(0).click()
    url = f"{live_server}{recording_url(world, kept)}"
    assert played(page) == [url] and spoken(page) == []
    assert run_axe(page) == []
    page.context.set_offline(True)
    page.reload()
    expect(page.locator("body")).to_have_attribute("data-map-ready", "yes")
    page.locator(".answer-speak").first.click()
    assert played(page) == [url]
    status, kind, size = page.evaluate(
        "async (u) => { const r = await fetch(u); "
        "return [r.status, r.headers.get('content-type'), (await r.arrayBuffer()).byteLength]; }",
        url)
    assert (status, kind, size) == (200, "audio/ogg", len(audio_data.ogg(1)))
    page.context.set_offline(False)
    # Chromium logs the requests that failed while offline (the background map's tiles).
    page.console_errors[:] = [e for e in page.console_errors
                              if "ERR_INTERNET_DISCONNECTED" not in e and "ERR_FAILED" not in e]


def test_the_mapping_panel_reads_its_choices_aloud(guarded_page, live_server, db, world):
    page = guarded_page
    play = category_id(db, "play")
    snow_fit = record(db, world, "category", category_id(db, "snow"), "fit")
    record(db, world, "category", play, "se")
    session_row = factories.mapping_session(db, world.campaign, world.school_a,
                                            user=world.users["staff_a"])
    db.commit()
    page.add_init_script(STUB)
    browser_login(page, live_server, world.email("staff_a"))
    page.wait_for_url(re.compile(r"/map/preschools/\d+$"))
    page.goto(f"{live_server}/map/sessions/{session_row.id}")
    expect(page.locator("body")).to_have_attribute("data-offline-ready", "yes")
    page.click("#place-here")
    expect(page.locator("#panel")).to_be_visible()
    page.get_by_role("button", name="Läs upp: Lek").click()
    page.get_by_role("button", name="Läs upp: Läskig plats").click()
    page.get_by_role("button", name="Läs upp: Vinter").click()
    assert [item["text"] for item in spoken(page)] == ["Lek", "Läskig plats", "Vinter"]
    assert page.locator("#category-choices input:checked").count() == 0  # not chosen
    assert run_axe(page) == []
    for width in (360, 390, 768, 1024):
        page.set_viewport_size({"width": width, "height": 800})
        assert page.evaluate("(p => p.scrollWidth - p.clientWidth)(document.getElementById("
                             "'place-form'))") <= 0, width
        for box in [b.bounding_box() for b in page.locator("#panel .speak-button").all()]:
            assert box["width"] >= 44 and box["height"] >= 44, (width, box)
    page.goto(f"{live_server}/map/sessions/{session_row.id}?lang=fit")
    expect(page.locator("body")).to_have_attribute("data-offline-ready", "yes")
    page.click("#place-here")
    expect(page.locator("#panel")).to_be_visible()
    speakers = page.locator("#category-choices .speak-button")
    expect(speakers.filter(visible=True)).to_have_count(1)  # snow's Meänkieli recording only
    speakers.filter(visible=True).click()
    assert played(page) == [f"{live_server}{recording_url(world, snow_fit)}"]
    expect(page.locator(".big-choices .speak-button").first).to_be_hidden()  # no voice


def test_the_admins_recordings_page_shows_a_refused_upload(guarded_page, live_server, db,
                                                         world, tmp_path):
    page = guarded_page
    browser_login(page, live_server, world.email("admin"))
    page.goto(f"{live_server}/admin/categories")
    page.get_by_role("link", name="Inspelningar som läses upp").click()
    page.get_by_role("link", name="Lek").click()
    text = tmp_path / "lek.mp3"
    text.write_text("ingen ljudfil\n" * 20)
    page.get_by_label("Inspelning på Davvisámegiella").set_input_files(str(text))
    page.locator("#recording-se").get_by_role("button", name="Ladda upp").click()
    expect(page.locator("#error-summary")).to_contain_text("Filen är ingen inspelning")
    expect(page.locator("#field-file-se")).to_have_attribute("aria-invalid", "true")
    page.console_errors[:] = [e for e in page.console_errors if "status of 422" not in e]
    assert run_axe(page) == []
    sound = tmp_path / "lek.ogg"
    sound.write_bytes(audio_data.ogg(1))
    page.get_by_label("Inspelning på Davvisámegiella").set_input_files(str(sound))
    page.locator("#recording-se").get_by_role("button", name="Ladda upp").click()
    expect(page.locator(".flash")).to_contain_text("Inspelningen sparades.")
    expect(page.locator("#recording-se audio")).to_have_count(1)
    assert run_axe(page) == []
