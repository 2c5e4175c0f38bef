// A planner answers one place from the overview map: a dialog with the statuses and the
// reason (templates/tiles/_answer_dialog.html), the shown answer read first, the new one
// sent with PUT /api/v1/places/<id>/response. The server's refusal is shown at its field.
import { format } from "../shared/format.js";
import { HttpError, getJson, Offline } from "../shared/http.js";

const byId = (id) => document.getElementById(id);

function fieldErrors(fields) {
  for (const name of ["status", "text"]) {
    byId(`answer-dialog-${name}-error`).textContent = fields?.[name] || "";
  }
}

function showCurrent(config, shown) {
  const line = byId("answer-dialog-shown");
  const text = byId("answer-dialog-text");
  for (const radio of document.querySelectorAll("#answer-dialog-status input")) {
    radio.checked = Boolean(shown && radio.value === shown.status);
  }
  text.value = shown ? shown.text || "" : "";
  line.textContent = shown
    ? format(config.labels.shown, { answer: config.statuses[shown.status] || shown.status })
    : config.labels.unanswered;
}

// The shown answer, unless the planner has begun to type or choose meanwhile.
async function load(config, placeId, touched) {
  try {
    const body = await getJson(format(config.url, { id: placeId }));
    if (!touched()) showCurrent(config, body.response);
  } catch (error) {
    showCurrent(config, null);
    byId("answer-dialog-message").textContent =
      error instanceof Offline ? config.labels.offline : config.labels.failed;
  }
}

async function save(config, placeId) {
  const checked = document.querySelector("#answer-dialog-status input:checked");
  const json = { status: checked ? checked.value : "", text: byId("answer-dialog-text").value, plan: null };
  return getJson(format(config.url, { id: placeId }), { method: "PUT", json });
}

function refused(config, error) {
  const message = byId("answer-dialog-message");
  if (error instanceof Offline) {
    message.textContent = config.labels.offline;
    return;
  }
  const fields = error.body?.detail?.fields;
  fieldErrors(fields);
  message.textContent = error.body?.error || config.labels.failed;
  const first = fields?.status ? "answer-dialog-status" : fields?.text ? "answer-dialog-text" : null;
  if (first === "answer-dialog-status") document.querySelector("#answer-dialog-status input")?.focus();
  else if (first) byId(first).focus();
}

// Returns open(placeId, what, opener): shows the dialog for one place; ``announce`` is
// called with the saved message once the server has the answer.
export function answerDialog(config, announce) {
  const dialog = byId("answer-dialog");
  const form = byId("answer-dialog-form");
  let current = null;
  let opener = null;
  let touched = false;
  form.addEventListener("input", () => {
    touched = true;
  });
  const close = () => {
    if (dialog.open) dialog.close();
  };
  dialog.addEventListener("close", () => opener?.focus());
  byId("answer-dialog-cancel").addEventListener("click", close);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    fieldErrors(null);
    byId("answer-dialog-message").textContent = "";
    try {
      await save(config, current);
      close();
      announce(config.labels.saved);
    } catch (error) {
      if (!(error instanceof HttpError) && !(error instanceof Offline)) throw error;
      refused(config, error);
    }
  });
  return (placeId, what, button) => {
    current = placeId;
    opener = button;
    touched = false;
    fieldErrors(null);
    byId("answer-dialog-message").textContent = "";
    byId("answer-dialog-place").textContent = what;
    showCurrent(config, null);
    dialog.showModal();
    load(config, placeId, () => touched);
  };
}
