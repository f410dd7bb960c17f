// The demo page: choose a room and a name, join, and use the room with its clip list, snapshot button and a
// snapshot gallery. The address keeps the room and name, so a reload rejoins and a link invites.
import { SESSION_PATTERN, mountElements, query, setLang, startGallery, t, wireLanguageButtons, currentLang } from './common.js';

const form = document.getElementById('join-form');
const error = document.getElementById('form-error');
const guestName = () => `Guest ${Math.floor(100 + Math.random() * 900)}`;

wireLanguageButtons();
form.session.value = query('session') || form.session.value;
form.name.value = query('name') || guestName();
form.replay.checked = query('replay') === '1';

form.addEventListener('submit', (e) => {
  e.preventDefault();
  const session = form.session.value.trim();
  const name = form.name.value.trim();
  if (!SESSION_PATTERN.test(session)) return showError('badRoom', form.session);
  if (!name) return showError('noName', form.name);
  enter(session, name, form.replay.checked);
});

function showError(key, field) {
  error.textContent = t(key);
  field.setAttribute('aria-invalid', 'true');
  field.focus();
}

/** `replay`: the room asks the server for an instant-replay buffer (`<ov-live-room replay>`); kept in every link. */
function enter(session, name, replay) {
  const flag = replay ? { replay: '1' } : {};
  const url = new URL(location.href);
  url.search = new URLSearchParams({ session, name, lang: currentLang(), ...flag }).toString();
  history.replaceState(null, '', url);

  document.getElementById('start').hidden = true;
  document.getElementById('live').hidden = false;
  const title = document.getElementById('room-title');
  const setTitle = () => (title.textContent = t('roomTitle', { room: session }));
  setTitle();
  document.addEventListener('demo-lang', setTitle);

  const second = document.getElementById('second');
  const invite = (extra) => {
    const u = new URL('/', location.href);
    u.search = new URLSearchParams({ session, lang: currentLang(), ...flag, ...extra }).toString();
    return u.href;
  };
  // A fresh name, so the second tab joins at once as someone else.
  second.addEventListener('click', () => (second.href = invite({ name: guestName() })));
  second.href = invite({ name: guestName() });
  const copy = document.getElementById('copy-link');
  copy.addEventListener('click', async () => {
    await navigator.clipboard?.writeText(invite({})).catch(() => {});
    copy.textContent = t('copied');
    setTimeout(() => (copy.textContent = t('copy')), 1500);
  });

  const { room } = mountElements({ session, name, replay });
  room.addEventListener('ov-error', (e) => console.warn('ov-error', e.detail.code, e.detail.message));
  if (replay) explainReplayOff(session);
  startGallery(session, document.getElementById('gallery'), document.getElementById('gallery-empty'));
  setLang(currentLang());
}

/** A replay room on a server without replay works as a plain room; say why the replay button is missing. */
async function explainReplayOff(session) {
  const info = await fetch(`/api/sessions/${encodeURIComponent(session)}/replay`)
    .then((r) => (r.ok ? r.json() : null))
    .catch(() => null);
  const note = document.getElementById('replay-off');
  note.hidden = !info || info.seconds > 0;
}

// ?session=…&name=… (a reload, or the "second participant" link) joins directly.
if (query('session') && query('name') && SESSION_PATTERN.test(query('session'))) enter(query('session'), query('name').slice(0, 64), query('replay') === '1');
else form.name.focus();
