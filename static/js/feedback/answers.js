// "What became of our places": the preschool's places on a map, each marker the answer's
// big status pictogram (or the place's own while unanswered), the same as cards below;
// a card or a marker opens full screen in a dialog (arrow keys move on, Escape closes,
// focus goes back). Everything comes from the page's JSON and is set as text.
/* global L */
import { createMap } from '../shared/background.js';
import { format } from '../shared/format.js';
import { forgetOnLogout, keepForOffline } from '../shared/offline.js';
import { pageConfig } from '../shared/page-config.js';
import { canRead, initSpeech, recording, recordingUrls, wireButton } from '../shared/speak.js';

const config = pageConfig();
const cards = config.cards || [];
const dialog = document.getElementById('answer-dialog');
let shown = 0;
let opener = null;

function statusOf(card) {
  return card.status ? config.statuses[card.status] : null;
}

// What a card's speaker button reads: the answer's status and the planners' words (or
// that there is no answer yet); where the device has no voice, the status's recording.
function spoken(card) {
  const status = statusOf(card);
  const text = [status ? status.label : config.strings.not_answered, card.answer].filter(Boolean).join('. ');
  return { text, recording: card.status ? recording('status', card.status) : '' };
}

function spokenName(card) {
  const status = statusOf(card);
  return `${card.label}: ${status ? status.label : config.strings.not_answered}`;
}

function setImage(id, src, alt) {
  const img = document.getElementById(id);
  img.hidden = !src;
  if (src) Object.assign(img, { src, alt });
}

function setText(id, text) {
  const element = document.getElementById(id);
  element.textContent = text;
  element.hidden = !text;
}

function show(index) {
  shown = (index + cards.length) % cards.length;
  const card = cards[shown];
  const status = statusOf(card);
  setText('dialog-count', format(config.strings.of, { n: shown + 1, total: cards.length }));
  setImage('dialog-pictogram', card.pictogram, '');
  setImage('dialog-status-pictogram', status?.pictogram, '');
  setText('dialog-category', card.label);
  setText('dialog-meta', `${config.feelings[card.feeling]} · ${config.seasons[card.season]}`);
  setText('dialog-words', card.words ? `“${card.words}”` : '');
  setText('dialog-status', status ? status.label : config.strings.not_answered);
  setText('dialog-answer', card.answer);
  dialog.dataset.index = String(shown);
  const speak = document.getElementById('dialog-speak');
  speak.setAttribute('aria-label', format(config.speech.listen, { text: spokenName(card) }));
  speak.hidden = !canRead(spoken(card));
}

export function openCard(index, from) {
  opener = from || document.activeElement;
  show(index);
  if (!dialog.open) dialog.showModal();
  document.getElementById('dialog-close').focus();
}

function setUpSpeakers() {
  document.querySelectorAll('.answer-speak').forEach((button, index) => {
    wireButton(button, () => spoken(cards[index]), spokenName(cards[index]));
  });
  const inDialog = document.getElementById('dialog-speak');
  wireButton(inDialog, () => spoken(cards[shown]), spokenName(cards[0]));
}

function setUpDialog() {
  document.getElementById('dialog-previous').addEventListener('click', () => show(shown - 1));
  document.getElementById('dialog-next').addEventListener('click', () => show(shown + 1));
  document.getElementById('dialog-close').addEventListener('click', () => dialog.close());
  dialog.addEventListener('keydown', (event) => {
    if (event.key === 'ArrowRight' || event.key === 'ArrowDown') show(shown + 1);
    else if (event.key === 'ArrowLeft' || event.key === 'ArrowUp') show(shown - 1);
    else return;
    event.preventDefault();
  });
  dialog.addEventListener('close', () => opener?.focus());
  document.querySelectorAll('.answer-open').forEach((button, index) => {
    button.addEventListener('click', () => openCard(index, button));
  });
}

function markerIcon(card) {
  const status = statusOf(card);
  const img = document.createElement('img');
  Object.assign(img, { src: status ? status.pictogram : card.pictogram, width: 56, height: 56 });
  img.alt = status ? `${card.label}: ${status.label}` : `${card.label}: ${config.strings.not_answered}`;
  return L.divIcon({ className: 'answer-marker', html: img, iconSize: [56, 56], iconAnchor: [28, 28] });
}

function setUpMap() {
  const element = document.getElementById('answers-map');
  const map = createMap(element, config.tiles, { zoomSnap: 0.5 });
  const area = L.geoJSON(config.preschool.neighbourhood, { interactive: false, style: { color: '#b00d28', weight: 2, fillOpacity: 0.04 } }).addTo(map);
  map.fitBounds(area.getBounds(), { padding: [8, 8] });
  cards.forEach((card, index) => {
    const marker = L.marker([card.lat, card.lon], { icon: markerIcon(card), keyboard: true }).addTo(map);
    marker.on('click', () => openCard(index, marker.getElement()));
    marker.getElement().addEventListener('keydown', (event) => {
      if (event.key === 'Enter' || event.key === ' ') {
        event.preventDefault();
        openCard(index, marker.getElement());
      }
    });
  });
  document.body.dataset.mapReady = 'yes';
}

function start() {
  initSpeech(config.speech);
  if (dialog && cards.length) {
    setUpSpeakers();
    setUpDialog();
    setUpMap();
  }
  const status = Object.values(config.statuses || {}).map((item) => item.pictogram);
  const sounds = [config.speech.icon, ...recordingUrls()];
  keepForOffline(config.sw, [...status, ...cards.map((card) => card.pictogram), ...sounds]);
  forgetOnLogout();
}

start();
