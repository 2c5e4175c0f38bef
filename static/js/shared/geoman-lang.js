// Leaflet-Geoman's words (drawing tips, "Finish", "Remove the last point", the buttons'
// titles) in the page's language, from the server's catalogue: templates/geoman.html puts
// them into the page as JSON. Call it for each map before its tools are added or drawing
// starts.
export function geomanLanguage(map) {
  const element = document.getElementById("geoman-lang");
  if (!element || !map.pm) return;
  const lang = document.documentElement.lang || "sv";
  map.pm.setLang(lang, JSON.parse(element.textContent), "en");
}
