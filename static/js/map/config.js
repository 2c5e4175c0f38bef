// The mapping page's settings and words, from the page's JSON (shared/page-config.js).
import { format } from '../shared/format.js';
import { pageConfig } from '../shared/page-config.js';

export const config = pageConfig();

export function t(key, params = {}) {
  return format(config.strings[key] ?? key, params);
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
