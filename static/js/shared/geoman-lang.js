// Leaflet-Geoman's words (drawing tips, "Finish", "Remove the last point", the buttons'
// titles) in the page's language, from the server's catalogue: the view hands them over
// as ``geoman`` in the page's config (smultron/web/page_config.py). Call it for each map
// before its tools are added or drawing starts.
import { pageConfig } from "./page-config.js";

export function geomanLanguage(map) {
  const words = pageConfig().geoman;
  if (!words || !map.pm) return;
  const lang = document.documentElement.lang || "sv";
  map.pm.setLang(lang, words, "en");
}
