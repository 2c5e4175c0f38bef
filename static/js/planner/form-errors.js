// A refused form comes back with a summary of what to correct: move the focus (and the
// view) there, so that the planner sees it at once, wherever the form is on the page.
const summary = document.querySelector(".error-summary");
if (summary) summary.focus();
