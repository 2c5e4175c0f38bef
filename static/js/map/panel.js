// The placement panel: big pictogram buttons (radio buttons, so one tap and arrow keys
// both work), favourite or scary, a stepper for the children, season, what they said.
import { config, t } from './config.js';
import { initSpeech, recording, speakerButton } from '../shared/speak.js';

const panel = document.getElementById('panel');
const form = document.getElementById('place-form');
const heading = document.getElementById('panel-heading');
const count = document.getElementById('children-count');
const comment = document.getElementById('comment');
const commentCount = document.getElementById('comment-count');
const outside = document.getElementById('outside-warning');
const atPreschool = document.getElementById('preschool-warning');
const saveButton = document.getElementById('panel-save');
const formError = document.getElementById('form-error');
// Fields with their own message next to them (and controls named after them).
const FIELDS = ['category', 'children_count', 'comment', 'geometry'];
let current = null;

// A choice with a speaker button that reads its name (or plays ``recordingUrl`` where the
// device has no voice for the page's language); the button sits outside the label.
function withSpeaker(label, recordingUrl = '') {
  const text = label.querySelector('span').textContent;
  const wrap = document.createElement('div');
  wrap.className = 'speak-choice';
  if (label.parentNode) label.replaceWith(wrap);
  wrap.append(label, speakerButton(() => ({ text, recording: recordingUrl }), text));
  return wrap;
}

function buildCategories() {
  const box = document.getElementById('category-choices');
  for (const item of config.categories) {
    const label = document.createElement('label');
    label.className = 'big-choice';
    const input = document.createElement('input');
    Object.assign(input, { type: 'radio', name: 'category', value: item.code });
    input.setAttribute('aria-describedby', 'category-error');
    const img = document.createElement('img');
    Object.assign(img, { src: item.pictogram, alt: '', width: 40, height: 40 });
    const text = document.createElement('span');
    text.textContent = item.label;
    label.append(input, img, text);
    box.append(withSpeaker(label, recording('category', item.code)));
  }
}

function clamp(value) {
  const number = Number.parseInt(value, 10);
  if (Number.isNaN(number)) return 1;
  return Math.min(Math.max(number, 1), config.session.children_present);
}

// Each message next to its field, the field marked invalid; messages for anything else
// (and ``alert``) go to the alert at the top. Returns the first invalid control.
function showErrors(errors, alert = '') {
  let first = null;
  for (const name of FIELDS) {
    const element = document.getElementById(`${name}-error`);
    element.textContent = errors[name] || '';
    element.hidden = !errors[name];
    for (const control of form.querySelectorAll(`[name="${name}"]`)) {
      if (errors[name]) control.setAttribute('aria-invalid', 'true');
      else control.removeAttribute('aria-invalid');
      if (errors[name] && !first) first = control;
    }
  }
  const other = Object.entries(errors).filter(([name]) => !FIELDS.includes(name)).map(([, text]) => text);
  const text = [alert, ...other].filter(Boolean).join(' ');
  formError.textContent = text;
  formError.hidden = !text;
  return first;
}

function updateCommentCount() {
  commentCount.textContent = t('chars_left', { n: config.max_comment - comment.value.length });
}

function values() {
  const data = new FormData(form);
  return {
    category: data.get('category'),
    feeling: data.get('feeling') || 'favourite',
    children_count: clamp(count.value),
    season: data.get('season') || 'all_year',
    comment: comment.value.trim() || null,
  };
}

function validate(props) {
  const errors = {};
  if (!props.category) errors.category = t('choose_category');
  const raw = Number.parseInt(count.value, 10);
  if (!(raw >= 1 && raw <= config.session.children_present)) {
    errors.children_count = t('children_range', { n: config.session.children_present });
  }
  if ((props.comment || '').length > config.max_comment) {
    errors.comment = t('comment_too_long', { n: config.max_comment });
  }
  return errors;
}

function setChecked(name, value) {
  for (const input of form.querySelectorAll(`input[name="${name}"]`)) input.checked = input.value === value;
}

// Opens the panel. ``options``: {title, properties, outside, atPreschool, errors (per
// field), alert (why the server refused it), onSave, onCancel}. With errors, focus goes to the first
// invalid field; otherwise to the heading.
export function openPanel(options) {
  current = options;
  const props = options.properties || {};
  heading.textContent = options.title;
  setChecked('category', props.category || '');
  setChecked('feeling', props.feeling || 'favourite');
  setChecked('season', props.season || 'all_year');
  count.max = String(config.session.children_present);
  count.value = String(props.children_count || 1);
  comment.value = props.comment || '';
  updateCommentCount();
  outside.hidden = !options.outside;
  atPreschool.hidden = !options.atPreschool;
  saveButton.textContent = options.outside ? t('save_anyway') : t('save');
  const invalid = showErrors(options.errors || {}, options.alert || '');
  panel.hidden = false;
  const checked = invalid && form.querySelector(`[name="${invalid.name}"]:checked`);
  (checked || invalid || heading).focus();
}

export function closePanel(cancelled = true) {
  if (panel.hidden) return;
  panel.hidden = true;
  const done = current;
  current = null;
  if (cancelled && done?.onCancel) done.onCancel();
}

export function isOpen() {
  return !panel.hidden;
}

export function initPanel() {
  initSpeech(config.speech);
  buildCategories();
  for (const label of form.querySelectorAll('.big-choices .big-choice')) withSpeaker(label);
  document.getElementById('children-minus').addEventListener('click', () => {
    count.value = String(clamp(Number(count.value) - 1));
  });
  document.getElementById('children-plus').addEventListener('click', () => {
    count.value = String(clamp(Number(count.value) + 1));
  });
  comment.addEventListener('input', updateCommentCount);
  document.getElementById('panel-close').addEventListener('click', () => closePanel());
  panel.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') closePanel();
  });
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const props = values();
    const errors = validate(props);
    const invalid = showErrors(errors);
    if (invalid) {
      form.querySelector('.field-error:not([hidden])')?.scrollIntoView({ block: 'nearest' });
      invalid.focus();
      return;
    }
    const done = current;
    closePanel(false);
    await done.onSave(props);
  });
}
