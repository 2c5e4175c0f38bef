// The report form: a district drawn on the map goes into the GeoJSON text field
// (shared/polygon-field.js) and chooses "a drawn area" as the report's scope; the
// preschools and their neighbourhoods are drawn to orient by (shared/orientation.js).
import { createMap } from "../shared/background.js";
import { orientation } from "../shared/orientation.js";
import { pageConfig } from "../shared/page-config.js";
import { polygonField } from "../shared/polygon-field.js";

function drawMap(element, field, config) {
  const areaRadio = document.querySelector('input[name="scope"][value="area"]');
  const map = createMap(element, config.tiles).setView([62.0, 16.0], 5);
  // a view to start from: the municipality's preschools when the page names them
  if (config.bounds) map.fitBounds(config.bounds, { padding: [10, 10] });
  orientation(map, config.orientation);
  polygonField(map, element, field, () => {
    if (areaRadio) areaRadio.checked = true;
  });
}

const element = document.getElementById("draw-map");
const field = document.getElementById("area");
if (element && field && window.L) drawMap(element, field, pageConfig());
