// Shared by the demo page and the embed page. Plain browser JavaScript with the public elements and attributes
// only, as a host site would write it: no build step.

export const SESSION_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

const TEXT = {
  en: {
    title: 'A live room with instant clips',
    intro: 'Join a room, record short clips while the live goes on, play them at once, and take snapshots of the video.',
    room: 'Room',
    name: 'Your name',
    join: 'Join',
    second: 'Open a second participant',
    copy: 'Copy invite link',
    copied: 'Link copied',
    snapshots: 'Snapshots',
    noSnapshots: 'No snapshots yet',
    snapshotsError: 'Could not load the snapshots. Reload to try again.',
    clips: 'Clips',
    apiDocs: 'API reference',
    embedPage: 'Embeddable page',
    roomTitle: 'Room “{room}”',
    badRoom: 'A room name uses letters, digits, - and _ (up to 64).',
    noName: 'Enter a name so others know who you are.',
    noSession: 'This page needs ?session=ROOM in its address.',
    deleteSnapshot: 'Delete snapshot',
    confirmDelete: 'Delete this snapshot?',
    replay: 'Instant replay: keep the last seconds of the room so anyone can clip them',
    replayOff: 'Instant replay is off on this server: start it with REPLAY_SECONDS=30 (npm start).',
  },
  ko: {
    title: '즉시 클립이 되는 라이브 룸',
    intro: '룸에 참여해 라이브 중에 짧은 클립을 녹화하고 바로 재생하며, 영상의 스냅샷을 찍어 보세요.',
    room: '룸',
    name: '이름',
    join: '참여',
    second: '두 번째 참여자 열기',
    copy: '초대 링크 복사',
    copied: '링크를 복사했습니다',
    snapshots: '스냅샷',
    noSnapshots: '아직 스냅샷이 없습니다',
    snapshotsError: '스냅샷을 불러오지 못했습니다. 새로고침해 보세요.',
    clips: '클립',
    apiDocs: 'API 문서',
    embedPage: '임베드용 페이지',
    roomTitle: '룸 “{room}”',
    badRoom: '룸 이름은 영문, 숫자, -, _ 로 64자까지 쓸 수 있습니다.',
    noName: '다른 사람이 알아볼 수 있도록 이름을 입력하세요.',
    noSession: '이 페이지 주소에는 ?session=룸이름 이 필요합니다.',
    deleteSnapshot: '스냅샷 삭제',
    confirmDelete: '이 스냅샷을 삭제할까요?',
    replay: '다시보기: 룸의 최근 몇 초를 보관해 누구나 클립으로 만들 수 있게 합니다',
    replayOff: '이 서버는 다시보기가 꺼져 있습니다: REPLAY_SECONDS=30 으로 시작하세요 (npm start).',
  },
};

const params = new URLSearchParams(location.search);
let lang = pickLang(params.get('lang') ?? safeStorage('get', 'ov-demo-lang') ?? navigator.language);

function pickLang(value) {
  return String(value ?? '')
    .toLowerCase()
    .startsWith('ko')
    ? 'ko'
    : 'en';
}

function safeStorage(op, key, value) {
  try {
    return op === 'get' ? localStorage.getItem(key) : localStorage.setItem(key, value);
  } catch {
    return null; // storage blocked (e.g. a third-party iframe)
  }
}

export const query = (name) => params.get(name) ?? '';
export const currentLang = () => lang;

/** The page's own text in the current language, with `{placeholders}` filled in. */
export function t(key, vars = {}) {
  return (TEXT[lang][key] ?? TEXT.en[key] ?? key).replace(/\{(\w+)\}/g, (_, k) => String(vars[k] ?? ''));
}

/** Switch the page and every element to `next` ('en' or 'ko'). */
export function setLang(next) {
  lang = pickLang(next);
  safeStorage('set', 'ov-demo-lang', lang);
  document.documentElement.lang = lang;
  for (const el of document.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of document.querySelectorAll('ov-live-room, ov-clip-list, ov-snapshot-button')) el.setAttribute('lang', lang);
  for (const b of document.querySelectorAll('[data-lang]')) b.setAttribute('aria-pressed', String(b.dataset.lang === lang));
  document.dispatchEvent(new CustomEvent('demo-lang'));
}

export function wireLanguageButtons() {
  for (const b of document.querySelectorAll('[data-lang]')) b.addEventListener('click', () => setLang(b.dataset.lang));
  setLang(lang);
}

/** Create an element with attributes (values are set as attributes, so never parsed as HTML). */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === true) node.setAttribute(k, '');
    else if (v !== false && v != null) node.setAttribute(k, String(v));
  }
  node.append(...children);
  return node;
}

/**
 * The three elements for one session, placed into the page's slots: exactly the markup a host site writes, e.g.
 * `<ov-live-room id="room" session="demo" name="Ana" autojoin></ov-live-room>`.
 */
export function mountElements({ session, name, replay = false }) {
  const room = el('ov-live-room', { id: 'room', session, name, lang, autojoin: true, replay });
  const snapshot = el('ov-snapshot-button', { for: 'room', session, lang });
  const clips = el('ov-clip-list', { for: 'room', session, lang });
  document.getElementById('room-slot').replaceChildren(room);
  document.getElementById('snapshot-slot').replaceChildren(snapshot);
  document.getElementById('clips-slot').replaceChildren(clips);
  return { room, snapshot, clips };
}

const api = (path, init) =>
  fetch(`/api${path}`, init).then(async (r) => {
    if (!r.ok) throw new Error((await r.json().catch(() => null))?.message ?? `HTTP ${r.status}`);
    return r.status === 204 ? null : r.json();
  });

/**
 * The snapshot gallery: the server's list, then its live events (`snapshot`, `snapshot-deleted`, `resync`), plus
 * the local `ov-snapshot` event so one's own snapshot shows before the server's event arrives.
 */
/** Show the text for `key` in `node`, and keep it translated when the language changes. */
const setText = (node, key) => {
  node.dataset.i18n = key;
  node.textContent = t(key);
};

export function startGallery(session, list, empty) {
  const items = new Map();
  const render = () => {
    const time = (s) => new Date(s.createdAt).getTime(); // epoch ms from the server
    const sorted = [...items.values()].sort((a, b) => time(b) - time(a));
    list.replaceChildren(...sorted.map(renderItem));
    empty.hidden = sorted.length > 0;
  };
  const renderItem = (s) => {
    const when = new Date(s.createdAt).toLocaleTimeString(lang);
    const del = el('button', { type: 'button', class: 'icon', 'aria-label': t('deleteSnapshot'), title: t('deleteSnapshot') }, '×');
    del.addEventListener('click', async () => {
      if (!confirm(t('confirmDelete'))) return;
      await api(`/snapshots/${encodeURIComponent(s.id)}`, { method: 'DELETE' }).catch((e) => alert(e.message));
    });
    return el(
      'li',
      { 'data-id': s.id },
      el(
        'a',
        { href: s.url, target: '_blank', rel: 'noopener' },
        el('img', { src: s.url, alt: s.name || t('snapshots'), loading: 'lazy', width: s.width, height: s.height }),
      ),
      el('span', { class: 'caption', title: s.name }, `${when} · ${s.width}×${s.height}`),
      del,
    );
  };
  const load = () =>
    api(`/sessions/${encodeURIComponent(session)}/snapshots`)
      .then(({ snapshots }) => {
        items.clear();
        for (const s of snapshots) items.set(s.id, s);
        setText(empty, 'noSnapshots');
        render();
      })
      .catch(() => {
        // Not "no snapshots": say the list could not be loaded (the live events may still fill it).
        setText(empty, 'snapshotsError');
        empty.hidden = items.size > 0;
      });

  document.addEventListener('ov-snapshot', (e) => {
    const s = e.detail?.snapshot;
    if (s?.sessionId !== session) return;
    items.set(s.id, s);
    render();
  });
  document.addEventListener('demo-lang', render);
  const events = new EventSource(`/api/sessions/${encodeURIComponent(session)}/events`);
  events.addEventListener('snapshot', (e) => {
    const s = JSON.parse(e.data);
    items.set(s.id, s);
    render();
  });
  events.addEventListener('snapshot-deleted', (e) => {
    items.delete(JSON.parse(e.data).id);
    render();
  });
  events.addEventListener('resync', load);
  return load();
}
