// The panel's photos: thumbnails of the place's photos (stored, waiting, refused), Take a
// photo (the tablet's camera) and Choose a photo (its library), Remove. Staff confirm once
// per session, before its first photo, that photos show places only and no person who can
// be recognised. Changes are kept in the panel until Save (Cancel drops them).
import { config, newId, t } from './config.js';
import { photoUrl } from './photos.js';

const group = document.getElementById('photo-group');
const list = document.getElementById('photo-list');
const error = document.getElementById('photo-error');
const confirmBox = document.getElementById('photo-confirm');
const camera = document.getElementById('photo-camera');
const library = document.getElementById('photo-library');
const buttons = [document.getElementById('photo-take'), document.getElementById('photo-choose')];
const CONSENT_KEY = `smultron-photo-places-only-${config.session.id}`;
const IMAGE_NAME = /\.(jpe?g|png|webp|heic|heif)$/i;

let state = null; // {place, shown: [{id, src, saved, error}], added: [{id, file, src}], removed: Set}
let afterConfirm = null;

// Storage the browser refuses (private mode, blocked site data, full): the answer is kept
// for this page only, and asked again after a reload.
function refused(error) {
  if (!['SecurityError', 'QuotaExceededError'].includes(error.name)) throw error;
  console.warn('The answer about photos is kept for this page only:', error.message);
}

function confirmed() {
  try {
    return window.localStorage.getItem(CONSENT_KEY) === 'yes';
  } catch (error) {
    refused(error);
    return state?.confirmed === true;
  }
}

function remember() {
  try {
    window.localStorage.setItem(CONSENT_KEY, 'yes');
  } catch (error) {
    refused(error);
  }
  if (state) state.confirmed = true;
}

function visible() {
  const kept = state.shown.filter((photo) => !state.removed.has(photo.id));
  return [...kept, ...state.added];
}

function say(text) {
  error.textContent = text || '';
  error.hidden = !text;
}

function item(photo, index, total) {
  const li = document.createElement('li');
  li.className = 'photo-item';
  li.dataset.photoId = photo.id;
  const img = document.createElement('img');
  Object.assign(img, { src: photo.src, alt: t('photo_alt', { n: index + 1, total }), width: 96, height: 96 });
  img.loading = 'lazy';
  const note = document.createElement('span');
  note.className = 'photo-state';
  note.textContent = photo.error || (photo.saved ? '' : t('photo_waiting'));
  if (photo.error) note.classList.add('error');
  const remove = document.createElement('button');
  remove.type = 'button';
  remove.className = 'button photo-remove';
  remove.textContent = t('photo_remove');
  remove.setAttribute('aria-label', t('photo_remove_n', { n: index + 1 }));
  remove.addEventListener('click', () => removePhoto(photo.id));
  li.append(img, note, remove);
  return li;
}

function draw() {
  list.replaceChildren();
  const photos = visible();
  photos.forEach((photo, index) => {
    list.append(item(photo, index, photos.length));
  });
  list.hidden = photos.length === 0;
  const full = photos.length >= config.photos.max;
  for (const button of buttons) button.disabled = full;
  document.getElementById('photo-full').hidden = !full;
  group.dataset.count = String(photos.length);
}

function removePhoto(id) {
  const added = state.added.findIndex((photo) => photo.id === id);
  if (added >= 0) {
    URL.revokeObjectURL(state.added[added].src);
    state.added.splice(added, 1);
  } else {
    state.removed.add(id);
  }
  say('');
  draw();
  (buttons.find((button) => !button.disabled) || document.getElementById('panel-save')).focus();
}

// Files chosen (or handed in by a test): checked here for what the server would refuse at
// once (not an image, too large, too many), the rest kept until Save.
function addFiles(files) {
  const problems = [];
  for (const file of files) {
    if (visible().length >= config.photos.max) {
      problems.push(t('photo_too_many', { n: config.photos.max }));
      break;
    }
    if (!(file.type || '').startsWith('image/') && !IMAGE_NAME.test(file.name || '')) {
      problems.push(t('photo_not_image', { name: file.name }));
    } else if (file.size > config.photos.max_bytes) {
      problems.push(t('photo_too_large', { name: file.name, n: Math.round(config.photos.max_bytes / 2 ** 20) }));
    } else {
      state.added.push({ id: newId(), file, src: URL.createObjectURL(file), saved: false });
    }
  }
  say(problems.join(' '));
  draw();
}

function ask(then) {
  afterConfirm = then;
  confirmBox.hidden = false;
  document.getElementById('photo-confirm-yes').focus();
}

function closeConfirm() {
  confirmBox.hidden = true;
  afterConfirm = null;
}

function onFiles(input) {
  const files = [...input.files];
  input.value = '';
  if (!files.length || !state) return;
  if (confirmed()) addFiles(files);
  else ask(() => addFiles(files));
}

function choose(input) {
  if (confirmed()) input.click();
  else ask(() => input.click());
}

// The panel opens on a place: ``photos``: [{id, src?, saved, error}] as the page knows them.
export function showPhotos(placeId, photos) {
  for (const photo of [...(state?.added || []), ...(state?.shown || [])]) {
    if (photo.src.startsWith('blob:')) URL.revokeObjectURL(photo.src);
  }
  state = {
    place: placeId,
    shown: photos.map((photo) => ({ ...photo, src: photo.src || photoUrl(placeId, photo.id, 'thumb') })),
    added: [],
    removed: new Set(),
    confirmed: state?.confirmed,
  };
  closeConfirm();
  say('');
  draw();
}

// What Save commits: the new photos (with their files) and the ids removed.
export function photoChanges() {
  if (!state) return { added: [], removed: [] };
  return { added: state.added.map(({ id, file }) => ({ id, file })), removed: [...state.removed] };
}

export function initPhotos() {
  buttons[0].addEventListener('click', () => choose(camera));
  buttons[1].addEventListener('click', () => choose(library));
  camera.addEventListener('change', () => onFiles(camera));
  library.addEventListener('change', () => onFiles(library));
  document.getElementById('photo-confirm-yes').addEventListener('click', () => {
    remember();
    const then = afterConfirm;
    closeConfirm();
    if (then) then();
  });
  document.getElementById('photo-confirm-no').addEventListener('click', () => {
    closeConfirm();
    buttons[0].focus();
  });
}
