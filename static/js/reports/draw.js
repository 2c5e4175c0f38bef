// The report form: a district drawn on the map goes into the GeoJSON text field
// (shared/polygon-field.js) and chooses "a drawn area" as the report's scope; the
// preschools and their neighbourhoods are drawn to orient by (shared/orientation.js).
import { addBackground } from "../shared/background.js";
import { orientation } from "../shared/orientation.js";
import { polygonField } from "../shared/polygon-field.js";

const element = document.getElementById("draw-map");
const field = document.getElementById("area");
const areaRadio = document.querySelector('input[name="scope"][value="area"]');
if (element && field && window.L) {
  const map = L.map(element).setView([62.0, 16.0], 5);
  addBackground(map, JSON.parse(element.dataset.tiles || "{}"));
  // a view to start from: the municipality's preschools when the page names them
  const start = element.dataset.bounds ? JSON.parse(element.dataset.bounds) : null;
  if (start) map.fitBounds(start, { padding: [10, 10] });
  orientation(map, element.dataset.orientation);
  polygonField(map, element, field, () => {
    if (areaRadio) areaRadio.checked = true;
  });
}
