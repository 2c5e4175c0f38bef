// The list of the session's places: the same places as the map, as a table, with the
// same actions. Built with textContent, so what the children said is always plain text.
import { answerText, category, config, t } from './config.js';
import { kindOf } from './geometry.js';

const table = document.getElementById('places-table');
const body = table.querySelector('tbody');
const empty = document.getElementById('list-empty');
// On narrow screens each row is a card: its cells name their column (map.css shows
// data-label before the value).
const labels = [...table.querySelectorAll('thead th')].map((th) => th.textContent.trim());

function cell(text, className) {
  const td = document.createElement('td');
  td.textContent = text;
  if (className) td.className = className;
  return td;
}

// What the children said, and under it the planners' answer (both as text).
function saidCell(p) {
  const td = cell(p.comment || '', 'said');
  const answer = answerText(p);
  if (answer) {
    const line = document.createElement('p');
    line.className = 'planners-answer';
    line.textContent = answer;
    td.append(line);
  }
  return td;
}

function labelCells(tr) {
  [...tr.children].forEach((child, index) => {
    if (child.tagName === 'TD' && !child.classList.contains('actions')) child.dataset.label = labels[index];
  });
}

function row(entry, actions) {
  const p = entry.feature.properties;
  const cat = category(p.category);
  const tr = document.createElement('tr');
  tr.dataset.placeId = entry.feature.id;
  const head = document.createElement('th');
  head.scope = 'row';
  const swatch = document.createElement('span');
  swatch.className = 'swatch';
  const img = document.createElement('img');
  Object.assign(img, { src: cat.pictogram, alt: '', width: 32, height: 32 });
  const label = document.createElement('span');
  label.textContent = cat.label;
  swatch.append(img, label);
  head.append(swatch);
  tr.append(head,
    cell(t(`place_kind_${kindOf(entry.feature.geometry)}`)),
    cell(t(p.feeling)),
    cell(String(p.children_count)),
    cell(config.season_labels[p.season] || p.season),
    saidCell(p));
  const status = cell(entry.error || (entry.state === 'saved' ? t('saved') : t('waiting')),
    entry.error ? 'status-failed' : (entry.state === 'saved' ? '' : 'status-waiting'));
  tr.append(status);
  const actionsCell = cell('', 'actions');
  const box = document.createElement('div');
  box.className = 'row-actions';
  for (const [key, handler] of actions(entry)) {
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'button';
    button.textContent = t(key);
    button.dataset.action = key;
    button.setAttribute('aria-label', `${t(key)}: ${cat.label}`);
    button.addEventListener('click', () => handler(entry, button));
    box.append(button);
  }
  actionsCell.append(box);
  tr.append(actionsCell);
  labelCells(tr);
  return tr;
}

// Redraws the rows; a button that had the keyboard focus has it again afterwards.
export function renderList(entries, actions) {
  const focused = body.contains(document.activeElement) ? document.activeElement : null;
  const where = focused && [focused.closest('tr').dataset.placeId, focused.dataset.action];
  body.replaceChildren(...entries.map((entry) => row(entry, actions)));
  table.hidden = entries.length === 0;
  empty.hidden = entries.length > 0;
  if (where) {
    const again = body.querySelector(`tr[data-place-id="${where[0]}"] button[data-action="${where[1]}"]`);
    if (again) again.focus();
  }
}
