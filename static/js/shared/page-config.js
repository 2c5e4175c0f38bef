// What the server hands a page's scripts: one JSON block, <script type="application/json"
// id="page-config"> (templates/base.html, from the view's ``page_config``; see
// smultron/web/page_config.py for the keys). Data, never code; {} on a page without one.
let parsed = null;

export function pageConfig() {
  if (parsed === null) {
    const element = document.getElementById('page-config');
    parsed = element ? JSON.parse(element.textContent) : {};
  }
  return parsed;
}
