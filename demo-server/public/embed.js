// /embed?session=ROOM&name=NAME&lang=en|ko: the room, its clip list and snapshot button, for an <iframe> in a CMS
// that does not allow scripts. Without a name, it asks for one first.
import { SESSION_PATTERN, mountElements, query, setLang, t, currentLang } from './common.js';

const session = query('session');
const form = document.getElementById('join-form');
setLang(currentLang());

function enter(name) {
  form.hidden = true;
  document.getElementById('embed-live').hidden = false;
  mountElements({ session, name });
}

if (!SESSION_PATTERN.test(session)) {
  const error = document.getElementById('embed-error');
  error.textContent = t('noSession');
  error.hidden = false;
} else if (query('name')) {
  enter(query('name').slice(0, 64));
} else {
  form.hidden = false;
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const name = form.name.value.trim();
    if (name) enter(name);
    else form.name.focus();
  });
  form.name.focus();
}
