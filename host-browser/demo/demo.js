// The demo page served by the broker at http://127.0.0.1:9093/demo/ (ws.port): each tab keeps two local
// logs in OPFS through Rivulet's Worker — an outbox mirrored to a broker topic and an inbox tailing that
// topic — so records appended in any tab (or produced with kcat) show up in every tab.
import { Rivulet } from './rivulet.js';

const $ = (sel) => document.querySelector(sel);
const params = new URLSearchParams(location.search);
const topic = params.get('topic') || 'demo';
// One id per tab, kept across reloads (sessionStorage), so a reload reopens the same local logs.
let tab = sessionStorage.getItem('rivulet-demo-tab');
if (!tab) {
  tab = Math.random().toString(36).slice(2, 8);
  sessionStorage.setItem('rivulet-demo-tab', tab);
}
const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/`;
const SHOWN = 500; // records kept on screen per list

for (const el of document.querySelectorAll('.topic')) el.textContent = topic;
$('#outbox-name').textContent = `outbox-${tab}`;
$('#inbox-name').textContent = `inbox-${tab}`;

function show(list, records) {
  for (const r of records) {
    const li = document.createElement('li');
    const key = Rivulet.text(r.key);
    if (key === tab) li.className = 'mine';
    const off = document.createElement('span');
    off.className = 'off';
    off.textContent = String(r.offset);
    li.append(off);
    if (key !== null) {
      const k = document.createElement('span');
      k.className = 'key';
      k.textContent = key;
      li.append(k);
    }
    li.append(document.createTextNode(Rivulet.text(r.value) ?? '(null)'));
    list.append(li);
  }
  while (list.children.length > SHOWN) list.firstElementChild.remove();
  list.scrollTop = list.scrollHeight;
}

async function showLog(log, list) {
  const end = await log.endOffset();
  const from = Math.max(0, end - SHOWN);
  show(list, await log.read(from, { maxRecords: SHOWN }));
  log.subscribe((records) => show(list, records), { fromOffset: end, onError: (e) => fail(e) });
}

// A sync's status line: online/offline, and the records still to move (mirror: appended here, not yet
// acknowledged by the broker; tail: in the topic, not yet here).
function showStatus(el, handle) {
  handle.onStatus((s) => {
    el.dataset.state = s.state;
    const what = s.mode === 'mirror' ? 'pending' : 'behind';
    const lag = s.lag < 0 ? '' : ` · ${s.lag} record${s.lag === 1 ? '' : 's'} ${what}`;
    const err = s.state !== 'online' && s.lastError ? ` · ${s.lastError}` : '';
    const warn = s.warnings.length ? ` · ⚠ ${s.warnings.at(-1)}` : '';
    el.textContent = `${s.mode}: ${s.state}${lag}${err}${warn}`;
    el.dataset.lag = String(s.lag);
  });
}

function fail(e) {
  const p = $('#whoami');
  p.classList.add('error');
  p.textContent = `Error: ${e && e.message ? e.message : e}`;
  console.error(e);
}

try {
  const outbox = await Rivulet.open(`outbox-${tab}`);
  const inbox = await Rivulet.open(`inbox-${tab}`);
  await showLog(outbox, $('#outbox'));
  await showLog(inbox, $('#inbox'));
  showStatus($('#outbox-status'), await outbox.sync({ url, topic, mode: 'mirror' }));
  // No consumer group: the tab's position lives in its own OPFS log, so tabs leave no group on the broker.
  showStatus($('#inbox-status'), await inbox.sync({ url, topic, mode: 'tail', groupId: null }));
  $('#whoami').textContent = `Tab ${tab} · broker ${url} · topic ${topic}`;

  let n = 0;
  $('#append').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const input = $('#value');
    const value = input.value;
    input.value = '';
    await outbox.append({ key: tab, value }).catch(fail);
  });
  $('#burst').addEventListener('click', async () => {
    const records = Array.from({ length: 100 }, () => ({ key: tab, value: `burst ${++n} from tab ${tab}` }));
    await outbox.append(records).catch(fail);
  });
} catch (e) {
  fail(e);
}
