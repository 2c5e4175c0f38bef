// Moderating in place: Approve / Hide is sent with fetch (the CSRF token as a header) and
// the row stays where it is with its new state, so the planner keeps their place in a long
// list. Without this script the form posts and the answer comes back to the next row.
import { jsonBody, Offline, send } from "../shared/http.js";
import { pageConfig } from "../shared/page-config.js";

const STATE_OF = { approve: "approved", hide: "hidden" };

function showState(row, state) {
  row.dataset.state = state;
  const cell = row.querySelector(".comment-state");
  cell.textContent = pageConfig().state_labels?.[state] || state;
  for (const button of row.querySelectorAll("button[name=decision]")) {
    button.hidden = STATE_OF[button.value] === state;
  }
}

// Without an answer in JSON (offline, a login page): the ordinary form post.
function postTheForm(form, button) {
  const decision = document.createElement("input");
  Object.assign(decision, { type: "hidden", name: "decision", value: button.value });
  form.append(decision);
  form.submit();
}

async function decide(form, button, status) {
  const body = new FormData(form);
  body.set("decision", button.value);
  const row = form.closest("tr");
  let response;
  try {
    response = await send(form.action, { method: "POST", body });
  } catch (error) {
    if (!(error instanceof Offline)) throw error;
    postTheForm(form, button);
    return;
  }
  const answer = await jsonBody(response);
  if (!response.ok && answer.error) {
    status.textContent = answer.error;
    return;
  }
  if (!response.ok || !answer.state) {
    postTheForm(form, button);
    return;
  }
  showState(row, answer.state);
  status.textContent = answer.message;
  const count = document.getElementById("pending-count");
  if (count) count.textContent = String(answer.pending);
  row.querySelector("button[name=decision]:not([hidden])")?.focus();
}

for (const table of document.querySelectorAll("table[data-moderation]")) {
  const status = table.parentElement.querySelector(".moderation-status");
  table.addEventListener("submit", (event) => {
    const form = event.target.closest("form.decision");
    if (!form || !event.submitter) return;
    event.preventDefault();
    decide(form, event.submitter, status);
  });
}
