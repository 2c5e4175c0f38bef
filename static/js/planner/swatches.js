// Colour swatches: the colour travels as data-colour (no inline style attributes under the CSP).
for (const swatch of document.querySelectorAll(".swatch[data-colour]")) {
  swatch.style.backgroundColor = swatch.dataset.colour;
}
