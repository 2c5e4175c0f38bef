// The page's settings and words, passed by the server as JSON (never as code).
const element = document.getElementById('map-config');

export const config = JSON.parse(element.textContent);

export function t(key, params = {}) {
  let text = config.strings[key] ?? key;
  for (const [name, value] of Object.entries(params)) {
    text = text.replaceAll(`%(${name})s`, String(value));
  }
  return text;
}

// The planners' answer to a place (status and reason), or '' when there is none yet.
export function answerText(p) {
  if (!p.response_status) return '';
  const status = t('answer', { status: t(`answer_${p.response_status}`) });
  return p.response_text ? `${status}. ${p.response_text}` : status;
}

export function category(code) {
  return config.categories.find((c) => c.code === code)
    ?? { code, label: code, colour: '#616161', pictogram: '' };
}

export function csrfToken() {
  return document.querySelector('meta[name="csrf-token"]').content;
}

export function newId() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

// The preschool's places (the first page is also kept for offline use).
export function placesUrl() {
  return `${config.api.places}?preschool=${config.preschool.id}&limit=1000`;
}
