// Reading aloud (issue 15): a speaker button reads its text with the device's voice for
// the page's language (speechSynthesis, a voice whose lang is that language), or, where
// the device has none, plays the recording uploaded for it in that language. Nothing
// plays until a button is pressed. A button with neither is hidden. The page's config
// carries ``speech``: {lang, recordings: {category: {code: url}, status: {code: url}},
// listen, icon} (smultron/web/recordings.py).
import { format } from './format.js';

const buttons = new Map(); // button -> () => {text, recording}
let speech = { lang: 'sv', recordings: { category: {}, status: {} }, listen: '%(text)s', icon: '' };
let player = null;

function primary(tag) {
  return String(tag || '').toLowerCase().replace('_', '-').split('-')[0];
}

export function voiceFor(lang) {
  if (!('speechSynthesis' in window)) return null;
  return window.speechSynthesis.getVoices().find((voice) => primary(voice.lang) === lang) || null;
}

export function recording(kind, code) {
  return speech.recordings?.[kind]?.[code] || '';
}

// Every recording the page may play (for the service worker to keep).
export function recordingUrls() {
  return Object.values(speech.recordings || {}).flatMap((items) => Object.values(items));
}

function audio() {
  if (!player) {
    player = document.createElement('audio');
    player.preload = 'none';
    player.hidden = true;
    player.className = 'read-aloud-audio';
    document.body.append(player);
  }
  return player;
}

function speak(text, voice) {
  const synth = window.speechSynthesis;
  synth.cancel();
  const utterance = new SpeechSynthesisUtterance(text);
  utterance.lang = voice.lang;
  if (window.SpeechSynthesisVoice && voice instanceof window.SpeechSynthesisVoice) utterance.voice = voice;
  synth.speak(utterance);
}

function play(url) {
  const element = audio();
  element.pause();
  element.src = url;
  element.currentTime = 0;
  Promise.resolve(element.play()).catch((error) => console.warn('The recording did not play:', error.message));
}

// Reads ``item`` ({text, recording}) aloud; 'voice', 'recording' or '' (nothing to read with).
export function readAloud(item) {
  const voice = voiceFor(speech.lang);
  if (voice && item.text) {
    speak(item.text, voice);
    return 'voice';
  }
  if (item.recording) {
    play(item.recording);
    return 'recording';
  }
  return '';
}

export function canRead(item) {
  return Boolean((item.text && voiceFor(speech.lang)) || item.recording);
}

// Shows each button that can read its item, hides the others (voices arrive late).
export function refreshButtons() {
  for (const [button, item] of buttons) button.hidden = !canRead(item());
}

// Makes ``button`` a speaker button for ``item`` (a function returning {text, recording},
// asked at each press); ``name`` is what it reads, for its accessible name.
export function wireButton(button, item, name = item().text) {
  button.setAttribute('aria-label', format(speech.listen, { text: name }));
  button.addEventListener('click', (event) => {
    event.preventDefault();
    event.stopPropagation();
    readAloud(item());
  });
  buttons.set(button, item);
  button.hidden = !canRead(item());
  return button;
}

// A new speaker button (the icon, no visible text: its name says what it reads).
export function speakerButton(item, name) {
  const button = document.createElement('button');
  button.type = 'button';
  button.className = 'speak-button';
  const icon = document.createElement('img');
  Object.assign(icon, { src: speech.icon, alt: '', width: 28, height: 28 });
  button.append(icon);
  return wireButton(button, item, name);
}

export function initSpeech(config) {
  if (config) speech = config;
  if ('speechSynthesis' in window && window.speechSynthesis.addEventListener) {
    window.speechSynthesis.addEventListener('voiceschanged', refreshButtons);
  }
}
