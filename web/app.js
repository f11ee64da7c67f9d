// The development upload page: sign in, get a ticket, POST the file straight to OSS (the
// simulator) with XMLHttpRequest for its upload progress, then list what the receiver recorded,
// under a chart of every upload per hour by how it was recorded (GET /stats), drawn as inline SVG.
'use strict';

const $ = (id) => document.getElementById(id);
const USER_KEY = 'oss-upload-callback.dev-user';
const BYTES = new Intl.NumberFormat('en');
const SOURCES = ['callback', 'event', 'reconcile'];
const SVG = 'http://www.w3.org/2000/svg';
const WINDOW_TEXT = { day: 'the last 24 hours', week: 'the last 7 days' };
let statsWindow = 'day';

function currentUser() {
  return sessionStorage.getItem(USER_KEY);
}

function show(message, kind = 'info') {
  $('status').textContent = message;
  $('status').dataset.kind = kind;
}

function render() {
  const user = currentUser();
  $('sign-in-form').hidden = Boolean(user);
  $('signed-in').hidden = !user;
  $('who').textContent = user ?? '';
  for (const id of ['file', 'upload-button', 'refresh']) $(id).disabled = !user;
  $('stats').hidden = !user;
  if (!user) {
    show('Sign in to upload.');
    fillRecords([]);
  }
}

/** Calls the local server as the signed-in user; refusals come back as {code, message}. */
async function api(path, init = {}) {
  const response = await fetch(path, { ...init, headers: { ...init.headers, 'x-dev-user': currentUser() ?? '' } });
  const answer = await response.json();
  if (!response.ok) throw new Error(`${answer.code}: ${answer.message}`);
  return answer;
}

function fillRecords(records) {
  const rows = $('record-rows');
  rows.replaceChildren();
  if (records.length === 0) {
    const row = rows.insertRow();
    const cell = row.insertCell();
    cell.colSpan = 5;
    cell.className = 'empty';
    cell.textContent = 'Nothing yet.';
    return;
  }
  for (const record of records) {
    const row = rows.insertRow();
    const received = new Date(record.receivedAt).toLocaleTimeString();
    const size = `${BYTES.format(record.size)} B`;
    for (const text of [record.object, size, record.mimeType ?? '', record.etag ?? '', received]) row.insertCell().textContent = text;
  }
}

async function refreshRecords() {
  try {
    fillRecords((await api('/records')).records);
  } catch (error) {
    show(`Could not list the records: ${error.message}`, 'error');
  }
  await refreshStats();
}

async function refreshStats() {
  for (const button of document.querySelectorAll('.window button')) button.setAttribute('aria-pressed', String(button.dataset.window === statsWindow));
  try {
    drawStats(await api(`/stats?window=${statsWindow}`));
  } catch (error) {
    show(`Could not count the uploads: ${error.message}`, 'error');
  }
}

/** The share of uploads whose callback was recorded, rounded down: 100% only when it is all of them. */
function percent(coverage) {
  return coverage === 1 ? '100%' : `${(Math.floor(coverage * 1000) / 10).toFixed(1)}%`;
}

function svgElement(name, attributes) {
  const element = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, String(value));
  return element;
}

/** What an hour's bar says, for its tooltip and the chart's text alternative. */
function hourText(period) {
  const start = new Date(period.start);
  const when = start.toLocaleString('en', { weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  return `${when}: ${period.total} uploads (${period.callback} callback, ${period.event} event, ${period.reconcile} reconcile)`;
}

function drawStats({ periods, overall }) {
  const busiest = Math.max(1, ...periods.map((period) => period.total));
  const chart = $('chart');
  // One unit of width per hour and of height per upload: the SVG stretches to the box.
  chart.setAttribute('viewBox', `0 0 ${periods.length} ${busiest}`);
  chart.replaceChildren();
  periods.forEach((period, hour) => {
    let top = busiest;
    for (const source of SOURCES) {
      if (period[source] === 0) continue;
      top -= period[source];
      chart.append(svgElement('rect', { x: hour + 0.1, y: top, width: 0.8, height: period[source], 'data-source': source }));
    }
    const hover = svgElement('rect', { class: 'hour', x: hour, y: 0, width: 1, height: busiest });
    hover.append(svgElement('title', {}));
    hover.firstChild.textContent = hourText(period);
    chart.append(hover);
  });
  $('chart-max').textContent = `${BYTES.format(busiest)} per hour`;

  // Time marks: every six hours over a day, every midnight over a week.
  const marks = $('chart-times');
  marks.replaceChildren();
  periods.forEach((period, hour) => {
    const start = new Date(period.start);
    if (start.getMinutes() !== 0 || start.getHours() % (statsWindow === 'day' ? 6 : 24) !== 0) return;
    const mark = document.createElement('span');
    const left = (hour / periods.length) * 100;
    mark.style.left = `${left}%`;
    mark.style.transform = left < 4 ? 'none' : left > 92 ? 'translateX(-100%)' : 'translateX(-50%)';
    mark.textContent = statsWindow === 'day' ? start.toLocaleTimeString('en', { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }) : start.toLocaleDateString('en', { weekday: 'short', day: 'numeric' });
    marks.append(mark);
  });

  const coverage = $('coverage');
  coverage.replaceChildren();
  if (overall.total === 0) {
    coverage.textContent = `No uploads in ${WINDOW_TEXT[statsWindow]}.`;
  } else {
    const strong = document.createElement('strong');
    strong.textContent = percent(overall.coverage);
    strong.dataset.kind = overall.coverage === 1 ? 'ok' : 'low';
    coverage.append('Callback coverage ', strong, ` · ${BYTES.format(overall.total)} uploads in ${WINDOW_TEXT[statsWindow]}: ${BYTES.format(overall.callback)} by callback, ${BYTES.format(overall.event)} from OSS events, ${BYTES.format(overall.reconcile)} by reconcile`);
  }
  const busy = periods.filter((period) => period.total > 0).map(hourText);
  $('chart-summary').textContent = busy.length === 0 ? 'No uploads.' : busy.join('; ');
}

/** OSS answers errors as XML: <Code> and <Message> say what went wrong. */
function ossError(xhr) {
  const xml = new DOMParser().parseFromString(xhr.responseText, 'application/xml');
  const text = (name) => xml.getElementsByTagName(name)[0]?.textContent ?? '';
  return `${xhr.status} ${text('Code')}: ${text('Message')}`;
}

/** The direct upload: the ticket's fields in order, the file last, with upload progress. */
function postForm(upload, file) {
  const form = new FormData();
  for (const [name, value] of Object.entries(upload.fields)) form.append(name, value);
  form.append(upload.fileField, file);
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(upload.method, upload.url);
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable) $('progress').value = Math.round((event.loaded / event.total) * 100);
    };
    xhr.onload = () => resolve(xhr);
    xhr.onerror = () => reject(new Error('the upload did not reach OSS (network or CORS)'));
    xhr.send(form);
  });
}

async function uploadFile(file) {
  $('progress').value = 0;
  show(`Asking for a ticket for ${file.name}…`);
  const upload = await api('/tickets', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ fileName: file.name, size: file.size, contentType: file.type || 'application/octet-stream' }),
  });
  show(`Uploading ${file.name} to ${upload.url}…`);
  const xhr = await postForm(upload, file);
  if (xhr.status === 200) {
    // OSS relays the receiver's answer: the record it stored.
    const { record } = JSON.parse(xhr.responseText);
    show(`Recorded ${record.object} (${record.size} bytes) for ${record.uploader}.`, 'ok');
  } else if (xhr.status === 203) {
    show(`Stored, but the callback failed: ${ossError(xhr)}`, 'error');
  } else {
    show(`OSS refused the upload: ${ossError(xhr)}`, 'error');
  }
  await refreshRecords();
}

$('sign-in-form').addEventListener('submit', (event) => {
  event.preventDefault();
  sessionStorage.setItem(USER_KEY, $('user').value.trim());
  render();
  show('Pick a file to upload.');
  void refreshRecords();
});

$('sign-out').addEventListener('click', () => {
  sessionStorage.removeItem(USER_KEY);
  render();
});

$('upload-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const file = $('file').files[0];
  if (!file) return;
  $('upload-button').disabled = true;
  uploadFile(file)
    .catch((error) => show(error.message, 'error'))
    .finally(() => {
      $('upload-button').disabled = !currentUser();
    });
});

$('refresh').addEventListener('click', () => void refreshRecords());

for (const button of document.querySelectorAll('.window button')) {
  button.addEventListener('click', () => {
    statsWindow = button.dataset.window;
    void refreshStats();
  });
}

render();
if (currentUser()) {
  show('Pick a file to upload.');
  void refreshRecords();
}
