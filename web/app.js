// The development upload page: sign in, get a ticket, POST the file straight to OSS (the
// simulator) with XMLHttpRequest for its upload progress, then list what the receiver recorded.
'use strict';

const $ = (id) => document.getElementById(id);
const USER_KEY = 'oss-upload-callback.dev-user';
const BYTES = new Intl.NumberFormat('en');

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

render();
if (currentUser()) void refreshRecords();
