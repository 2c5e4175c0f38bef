// The plan's assessment, saved as the planner types: each text (a plan-level text or a
// place's consequence / measure) is sent on its own, a moment after the typing stops and
// when the field is left, with the text it started from ("base"), so that another
// planner's change is never overwritten unseen. Without this script the form's Save
// button sends everything at once. Messages are set as text, never as HTML. Where it
// saves and its words: ``assessment`` in the page's config.
import { format } from "../shared/format.js";
import { HttpError, Offline, getJson } from "../shared/http.js";
import { pageConfig } from "../shared/page-config.js";

const form = document.getElementById("assessment-form");
const { save_url: saveUrl, strings = {} } = pageConfig().assessment || {};
const status = document.getElementById("save-status");
const PAUSE_MS = 800;

function baseInput(area) {
  return form.querySelector(`input[type=hidden][name="base-${CSS.escape(area.name)}"]`);
}

function say(text, failed = false) {
  status.textContent = text;
  status.classList.toggle("failed", failed);
}

async function save(area) {
  const base = baseInput(area);
  if (area.value === base.value && !area.dataset.failed) return;
  const body = { field: area.dataset.field, value: area.value, base: base.value };
  if (area.dataset.place) body.place = area.dataset.place;
  say(strings.saving);
  let answer;
  try {
    answer = await getJson(saveUrl, { method: "POST", json: body });
  } catch (error) {
    if (!(error instanceof HttpError || error instanceof Offline)) throw error;
    area.dataset.failed = "true";
    area.classList.add("autosave-failed");
    const fields = error.body?.detail?.fields;
    const reason = (fields && Object.values(fields)[0]) || error.body?.error;
    if (error instanceof Offline) say(strings.offline, true);
    else if (reason) say(`${strings.not_saved} ${reason}`, true);
    else say(strings.failed, true); // an answer without a reason (a 5xx, a login page)
    return;
  }
  if (!Object.hasOwn(answer, "value")) { // not the app's answer (a login page): not saved
    area.dataset.failed = "true";
    area.classList.add("autosave-failed");
    say(strings.failed, true);
    return;
  }
  base.value = answer.value;
  delete area.dataset.failed;
  area.classList.remove("autosave-failed");
  say(answer.message);
}

if (form) {
  const timers = new Map();
  for (const area of form.querySelectorAll("textarea.autosave")) {
    area.addEventListener("input", () => {
      clearTimeout(timers.get(area));
      timers.set(area, setTimeout(() => save(area), PAUSE_MS));
    });
    area.addEventListener("change", () => {
      clearTimeout(timers.get(area));
      save(area);
    });
  }
  form.dataset.ready = "true";
}

// How many characters the answer's reason has left.
const reason = document.getElementById("answer-text");
const count = document.getElementById("answer-text-count");
if (reason && count) {
  const update = () => {
    count.textContent = format(strings.chars_left || "", { n: reason.maxLength - reason.value.length });
  };
  reason.addEventListener("input", update);
  update();
}
