// The report form: the preschool list, the plan area list and the district field take
// part only in their own area's report, so each is switched off (and left out of the
// request) unless its area is chosen. The server refuses them with another area too.
const form = document.querySelector(".report-form");
if (form) {
  const fields = form.querySelectorAll("[data-scope]");
  const update = () => {
    const scope = form.querySelector('input[name="scope"]:checked')?.value;
    for (const field of fields) {
      // a list with nothing to choose (no plan areas yet) stays off
      const empty = field.tagName === "SELECT" && !field.querySelector('option:not([value=""])');
      field.disabled = field.dataset.scope !== scope || empty;
    }
  };
  // drawing a district on the map chooses its area without a change event: look again
  // after every click and key as well as before sending
  for (const type of ["change", "click", "keyup", "submit"]) form.addEventListener(type, update);
  update();
}
