// The plan's assessment, saved as the planner types: each text (a plan-level text or a
// place's consequence / measure) is sent on its own, a moment after the typing stops and
// when the field is left, with the text it started from ("base"), so that another
// planner's change is never overwritten unseen. Without this script the form's Save
// button sends everything at once. Messages are set as text, never as HTML.
const form = document.getElementById("assessment-form");
const strings = JSON.parse(form?.dataset.strings || "{}");
const status = document.getElementById("save-status");
const PAUSE_MS = 800;

function csrfToken() {
  return document.querySelector('meta[name="csrf-token"]').content;
}

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
  let response;
  let answer = {};
  try {
    response = await fetch(form.dataset.saveUrl, {
      method: "POST", credentials: "same-origin", body: JSON.stringify(body),
      headers: { "Content-Type": "application/json", Accept: "application/json",
                 "X-CSRFToken": csrfToken() },
    });
    answer = await response.json();
  } catch (error) {
    area.dataset.failed = "true";
    area.classList.add("autosave-failed");
    say(response ? strings.failed : strings.offline, true);
    return;
  }
  if (!response.ok) {
    area.dataset.failed = "true";
    area.classList.add("autosave-failed");
    const fields = answer.detail && answer.detail.fields;
    say(`${strings.not_saved} ${(fields && Object.values(fields)[0]) || answer.error || ""}`, true);
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
    count.textContent = (reason.dataset.template || "").replace("%(n)s", String(reason.maxLength - reason.value.length));
  };
  reason.addEventListener("input", update);
  update();
}
