// Fills in a translated text: "%(name)s" (the gettext form of the map's words) and "{name}"
// (the other pages' words) take ``values[name]``; numbers are written the page's way
// ("1 234" in Swedish). A placeholder without a value is left as it is.

// Meänkieli (fit) has no number formats of its own in browsers: it writes them as Finnish.
const NUMBER_LOCALE = { fit: 'fi' };
export function format(template, values = {}, lang = globalThis.document?.documentElement.lang || 'sv') {
  const numbers = NUMBER_LOCALE[lang] || lang;
  return template.replace(/%\((\w+)\)s|\{(\w+)\}/g, (whole, gettextName, braceName) => {
    const name = gettextName ?? braceName;
    if (!Object.hasOwn(values, name)) return whole;
    const value = values[name];
    return typeof value === 'number' ? value.toLocaleString(numbers) : String(value);
  });
}
