// gcsim live view: polls GET /sim/v1/ui/view (one page of live conversations plus queues,
// phantom legs and the journal's tail) and redraws. Everything from the world is set as text,
// never as markup.
'use strict';

const POLL_MS = 1000;
const state = { pageNumber: 1, pageSize: 25, phantomOnly: false, pageCount: 1, timer: null, asked: 0 };

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === 'class') node.className = value;
    else if (key.startsWith('data-')) node.setAttribute(key, value);
    else node[key] = value;
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

const $ = (id) => document.getElementById(id);
const badge = (text, kind, title) => el('span', { class: 'badge' + (kind ? ' ' + kind : ''), title }, text);

// 3723000 -> "1:02:03"; 63000 -> "1:03".
function clockText(ms) {
  const total = Math.floor(ms / 1000);
  const h = Math.floor(total / 3600), m = Math.floor(total / 60) % 60, s = total % 60;
  const two = (n) => String(n).padStart(2, '0');
  return h > 0 ? `${h}:${two(m)}:${two(s)}` : `${m}:${two(s)}`;
}

// "2026-01-01T09:10:00.250Z" -> "09:10:00.250"
const timeOf = (iso) => (iso ? iso.slice(11, 23) : '');
const shortId = (id) => (id ? id.slice(0, 8) : '');

function phantomWhy(phantom) {
  const fields = phantom.ignoredFields.length
    ? `ignored: ${phantom.ignoredFields.join(', ')}`
    : 'every field already had the value sent';
  return `PATCH answered ${phantom.status} at ${timeOf(phantom.at)} and changed nothing (${fields})`;
}

function renderQueues(view) {
  $('queues').replaceChildren(...view.queues.map((q) =>
    el('div', { class: 'queue', 'data-queue-id': q.id },
      el('div', { class: 'name' }, q.name),
      el('span', { class: 'metric', title: 'agents and users connected on the queue\'s calls' },
        'oInteracting ', el('b', { class: 'o-interacting' }, q.oInteracting)),
      el('span', { class: 'metric', title: 'calls waiting for an agent' },
        'oWaiting ', el('b', { class: 'o-waiting' }, q.oWaiting)))));
  if (!view.queues.length) $('queues').replaceChildren(el('span', { class: 'hint' }, 'no queues'));
}

function renderPhantoms(view) {
  $('phantoms-section').hidden = view.phantomLegs === 0;
  const items = view.phantoms.map((p) =>
    el('div', { class: 'phantom-item', 'data-phantom-id': p.participantId },
      badge('PHANTOM', 'bad'), ' ', el('b', {}, p.name || shortId(p.participantId)),
      ` (${p.purpose}) on `, el('span', { class: 'mono' }, p.conversationId),
      el('div', {}, phantomWhy(p)),
      p.hint ? el('div', { class: 'why' }, p.hint) : null));
  if (view.phantomLegs > view.phantoms.length) {
    items.push(el('div', { class: 'hint' }, `and ${view.phantomLegs - view.phantoms.length} more`));
  }
  $('phantoms').replaceChildren(...items);
}

function legRow(leg) {
  const flags = [];
  if (leg.muted) flags.push(badge('muted', 'warn'));
  if (leg.held) flags.push(badge('held', 'warn'));
  if (leg.confined) flags.push(badge('confined', 'warn'));
  if (leg.dropPending) flags.push(badge('drop accepted', 'ok', 'lands after the disconnect latency'));
  const phantom = leg.phantom
    ? el('div', { class: 'why' }, badge('PHANTOM', 'bad'), ' ', phantomWhy(leg.phantom),
        leg.phantom.hint ? el('div', {}, leg.phantom.hint) : null)
    : null;
  return el('tr', { class: 'leg' + (leg.phantom ? ' phantom' : ''), 'data-leg-id': leg.id,
                    'data-state': leg.state },
    el('td', {}, el('b', {}, leg.name || shortId(leg.id)), el('div', { class: 'mono' }, leg.id), phantom),
    el('td', {}, leg.purpose),
    el('td', {}, leg.state, ' ', ...flags),
    el('td', {}, leg.flowing ? 'flowing' : 'stopped'),
    el('td', {}, leg.speaking ? el('span', { class: 'speaking' }, 'speaking') : 'quiet'),
    el('td', { class: 'num', title: leg.lastHeardAt ? `last heard ${leg.lastHeardAt}` : 'never heard' },
      leg.silentFor),
    el('td', { class: 'num' }, clockText(leg.handleTimeMs)));
}

function renderConversations(view) {
  state.pageCount = Math.max(view.pageCount, 1);
  $('totals').textContent =
    `(${view.liveConversations} live, ${view.liveLegs} live legs, ${view.phantomLegs} phantom)`;
  $('page').textContent = `page ${view.pageNumber} of ${state.pageCount} (${view.total} conversation(s)${view.filter ? ' with a phantom leg' : ''})`;
  $('prev').disabled = view.pageNumber <= 1;
  $('next').disabled = view.pageNumber >= state.pageCount;
  const cards = view.conversations.map((c) => {
    const phantoms = c.legs.filter((leg) => leg.phantom).length;
    return el('div', { class: 'conversation' + (phantoms ? ' has-phantom' : ''), 'data-conversation-id': c.id },
      el('div', { class: 'title' },
        el('b', {}, c.name || 'conversation'), el('span', { class: 'id' }, c.id),
        c.bridge ? badge('bridge') : null,
        el('span', { class: 'hint' }, `up ${clockText(c.durationMs)}`),
        c.endedLegs ? el('span', { class: 'hint' }, `${c.endedLegs} leg(s) gone`) : null),
      el('table', {},
        el('thead', {}, el('tr', {}, ...['leg', 'purpose', 'state', 'audio', 'now', 'silent for', 'handle time']
          .map((h) => el('th', {}, h)))),
        el('tbody', {}, ...c.legs.map(legRow))));
  });
  if (!cards.length) cards.push(el('p', { class: 'hint' }, 'no live conversation'));
  $('conversations').replaceChildren(...cards);
}

function renderJournal(view) {
  const rows = view.journal.slice().reverse().map((e) => {
    const failed = e.status >= 400;
    const effect = [e.effect || ''];
    if (e.ignoredFields) effect.push(el('div', { class: 'why' }, `ignored: ${e.ignoredFields.join(', ')}`));
    if (e.hint) effect.push(el('div', { class: 'why' }, e.hint));
    return el('tr', { class: failed ? 'error' : (e.changedNothing ? 'noop' : ''), 'data-sequence': e.sequence },
      el('td', { class: 'num' }, e.sequence),
      el('td', { class: 'num' }, timeOf(e.at)),
      el('td', {}, e.kind === 'request' ? `${e.method} ${e.path}` : e.kind,
        e.clientId ? el('div', { class: 'mono' }, e.clientId) : null),
      el('td', { class: 'num st' }, e.status || ''),
      el('td', {}, ...effect));
  });
  $('journal').replaceChildren(...rows);
}

function render(view) {
  $('now').textContent = view.now.replace('T', ' ');
  $('clock-mode').textContent = `${view.clock} clock`;
  $('profile').textContent = `${view.profile} profile`;
  $('advance').hidden = view.clock !== 'manual';
  $('rewind').hidden = view.clock !== 'manual';
  renderQueues(view);
  renderPhantoms(view);
  renderConversations(view);
  renderJournal(view);
  document.body.dataset.now = view.now;  // tests wait on it
}

function setStatus(text, isError) {
  $('status').textContent = text;
  $('status').classList.toggle('error', !!isError);
}

async function refresh() {
  clearTimeout(state.timer);
  const asked = ++state.asked;  // only the newest answer is drawn
  const query = new URLSearchParams({ pageNumber: state.pageNumber, pageSize: state.pageSize });
  if (state.phantomOnly) query.set('filter', 'phantom');
  try {
    const response = await fetch(`view?${query}`, { cache: 'no-store' });
    const body = await response.json();
    if (asked !== state.asked) return;
    if (!response.ok) throw new Error(body.message || `HTTP ${response.status}`);
    if (body.pageNumber > Math.max(body.pageCount, 1)) {
      state.pageNumber = Math.max(body.pageCount, 1);  // the list shrank under us
    }
    render(body);
    setStatus(`updated ${new Date().toLocaleTimeString()}`);
  } catch (error) {
    if (asked !== state.asked) return;
    setStatus(`cannot reach gcsim: ${error.message}`, true);
  }
  state.timer = setTimeout(refresh, POLL_MS);
}

async function post(path, body) {
  try {
    const init = { method: 'POST' };
    if (body !== undefined) {
      init.headers = { 'Content-Type': 'application/json' };
      init.body = JSON.stringify(body);
    }
    const response = await fetch(path, init);
    if (!response.ok) {
      const error = await response.json().catch(() => ({}));
      setStatus(`${path}: ${error.message || response.status}`, true);
    }
  } catch (error) {
    setStatus(`${path}: ${error.message}`, true);
  }
  refresh();
}

document.addEventListener('DOMContentLoaded', () => {
  for (const button of document.querySelectorAll('#advance button')) {
    button.addEventListener('click', () => post('../clock/advance', { by: button.dataset.by }));
  }
  $('reset').addEventListener('click', () => post('../reset'));
  $('rewind').addEventListener('click', () => post('../reset?rewind=true'));
  $('prev').addEventListener('click', () => { state.pageNumber = Math.max(1, state.pageNumber - 1); refresh(); });
  $('next').addEventListener('click', () => { state.pageNumber = Math.min(state.pageCount, state.pageNumber + 1); refresh(); });
  $('phantom-only').addEventListener('change', (event) => {
    state.phantomOnly = event.target.checked;
    state.pageNumber = 1;
    refresh();
  });
  refresh();
});
