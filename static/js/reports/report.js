// The report page: legend swatch colours (no style="" in the HTML: the CSP forbids it)
// and "show all rows" buttons for long tables.
for (const swatch of document.querySelectorAll(".swatch[data-colour]")) {
  swatch.style.backgroundColor = swatch.dataset.colour;
}
for (const button of document.querySelectorAll("button.show-more")) {
  button.addEventListener("click", () => {
    const rows = document.getElementById(button.getAttribute("aria-controls"));
    rows.hidden = !rows.hidden;
    button.setAttribute("aria-expanded", String(!rows.hidden));
  });
}
