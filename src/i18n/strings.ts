import type { ClipStatus, OvErrorCode, RoomState } from '../types.js';

/**
 * Every string the elements show. Key names are public API (the `strings` property overrides them): add keys,
 * never rename. `{name}`-style placeholders are filled by `format()`.
 */
export interface OvStrings extends ErrorStrings {
  join: string;
  joining: string;
  leave: string;
  leftTitle: string;
  rejoin: string;
  namePlaceholder: string;
  nameLabel: string;
  micOn: string;
  micOff: string;
  /** Accessible names of the toolbar's toggle buttons (their state is in aria-pressed). */
  microphone: string;
  camera: string;
  recordClip: string;
  /** Accessible label of the mic toggle: "Turn microphone off" when on. */
  muteMic: string;
  unmuteMic: string;
  cameraOn: string;
  cameraOff: string;
  muteCamera: string;
  unmuteCamera: string;
  shareScreen: string;
  stopSharing: string;
  screenOf: string;
  you: string;
  speaking: string;
  startClip: string;
  stopClip: string;
  recording: string;
  /** "Recording {elapsed}" */
  recordingElapsed: string;
  /** The replay indicator, "Replay on: the last {seconds} s can be clipped", and its button, "Clip last {seconds} s". */
  replayOn: string;
  replayClip: string;
  reconnecting: string;
  retry: string;
  errorTitle: string;
  participants: string;
  /** "{count} participants" */
  participantCount: string;
  participantCountOne: string;
  /** "{count} watching": watch-only participants (no camera or microphone), shown as a count. */
  watchingCount: string;
  watchingCountOne: string;
  noOneElse: string;
  clipsTitle: string;
  clipStatusRecording: string;
  clipStatusProcessing: string;
  clipStatusReady: string;
  clipStatusFailed: string;
  clipReadyAnnouncement: string;
  clipsEmpty: string;
  clipsError: string;
  clipUntitled: string;
  /** Name of a clip started from the toolbar. */
  clipBy: string;
  play: string;
  delete: string;
  deleteConfirm: string;
  confirm: string;
  cancel: string;
  close: string;
  loading: string;
  snapshot: string;
  snapshotSaved: string;
  snapshotFailed: string;
  player: string;
  duration: string;
  /** Clip editing (the list and its player). `rename` labels the button ("Rename: {name}") and the name field. */
  rename: string;
  save: string;
  trim: string;
  /** The hint on a trimmed clip, and the announcement after a trim. */
  trimmed: string;
  restoreOriginal: string;
  restored: string;
  download: string;
  copyLink: string;
  /** "Link copied, expires {date}" */
  linkCopied: string;
  /** The trim handles. */
  inPoint: string;
  outPoint: string;
  editFailed: string;
  shareFailed: string;
  // One per OvErrorCode.
  errorTokenFailed: string;
  errorConnectFailed: string;
  errorBrowserNotSupported: string;
  errorInsecureContext: string;
  errorDeviceAccessDenied: string;
  errorDeviceNotFound: string;
  errorScreenShareFailed: string;
  errorScreenShareCancelled: string;
  errorNotConnected: string;
  errorPermissionDenied: string;
  errorClipFailed: string;
  errorSnapshotFailed: string;
  errorNetwork: string;
  errorInvalidSession: string;
  errorJoinCancelled: string;
  errorReplayOff: string;
  errorReplayEmpty: string;
  errorUnknown: string;
}

export type OvLang = 'en' | 'ko';

export const en: OvStrings = {
  join: 'Join',
  joining: 'Joining…',
  leave: 'Leave',
  leftTitle: 'You left the room',
  rejoin: 'Join again',
  namePlaceholder: 'Your name',
  nameLabel: 'Name',
  micOn: 'Microphone on',
  micOff: 'Microphone off',
  microphone: 'Microphone',
  camera: 'Camera',
  recordClip: 'Record clip',
  muteMic: 'Turn microphone off',
  unmuteMic: 'Turn microphone on',
  cameraOn: 'Camera on',
  cameraOff: 'Camera off',
  muteCamera: 'Turn camera off',
  unmuteCamera: 'Turn camera on',
  shareScreen: 'Share screen',
  stopSharing: 'Stop sharing',
  screenOf: "{name}'s screen",
  you: 'You',
  speaking: 'Speaking',
  startClip: 'Start clip',
  stopClip: 'Stop clip',
  recording: 'Recording',
  recordingElapsed: 'Recording {elapsed}',
  replayOn: 'Replay on: the last {seconds} s can be clipped',
  replayClip: 'Clip last {seconds} s',
  reconnecting: 'Reconnecting…',
  retry: 'Retry',
  errorTitle: 'Something went wrong',
  participants: 'Participants',
  participantCount: '{count} participants',
  participantCountOne: '1 participant',
  watchingCount: '{count} watching',
  watchingCountOne: '1 watching',
  noOneElse: 'Waiting for others to join',
  clipsTitle: 'Clips',
  clipStatusRecording: 'Recording',
  clipStatusProcessing: 'Processing',
  clipStatusReady: 'Ready',
  clipStatusFailed: 'Failed',
  clipReadyAnnouncement: 'Clip "{name}" is ready',
  clipsEmpty: 'No clips yet',
  clipsError: 'Could not load the clips',
  clipUntitled: 'Untitled clip',
  clipBy: "{name}'s clip",
  play: 'Play',
  delete: 'Delete',
  deleteConfirm: 'Delete the clip "{name}"? This cannot be undone.',
  confirm: 'Delete',
  cancel: 'Cancel',
  close: 'Close',
  loading: 'Loading…',
  snapshot: 'Snapshot',
  snapshotSaved: 'Snapshot saved',
  snapshotFailed: 'Snapshot failed',
  player: 'Clip player',
  duration: 'Duration',
  rename: 'Rename',
  save: 'Save',
  trim: 'Trim',
  trimmed: 'Trimmed',
  restoreOriginal: 'Restore original',
  restored: 'Original restored',
  download: 'Download',
  copyLink: 'Copy link',
  linkCopied: 'Link copied, expires {date}',
  inPoint: 'In point',
  outPoint: 'Out point',
  editFailed: 'The change could not be saved.',
  shareFailed: 'The link could not be created.',
  errorTokenFailed: 'Could not get access to the room. Please try again.',
  errorConnectFailed: 'Could not connect to the room.',
  errorBrowserNotSupported: 'This browser is not supported.',
  errorInsecureContext: 'Camera and microphone need a secure (https://) page.',
  errorDeviceAccessDenied: 'Camera or microphone access was denied.',
  errorDeviceNotFound: 'No camera or microphone was found.',
  errorScreenShareFailed: 'Screen sharing failed.',
  errorScreenShareCancelled: 'Screen sharing was cancelled.',
  errorNotConnected: 'You are not connected to the room.',
  errorPermissionDenied: 'You are not allowed to do that.',
  errorClipFailed: 'The clip could not be recorded.',
  errorSnapshotFailed: 'The snapshot could not be saved.',
  errorNetwork: 'Network problem. Check your connection.',
  errorInvalidSession: 'This room name is not valid: use letters, digits, - or _ (up to 64).',
  errorJoinCancelled: 'Joining was cancelled.',
  errorReplayOff: 'Replay is off.',
  errorReplayEmpty: 'Nothing to clip yet.',
  errorUnknown: 'Something went wrong.',
};

export const ko: OvStrings = {
  join: '참여',
  joining: '참여 중…',
  leave: '나가기',
  leftTitle: '방에서 나왔습니다',
  rejoin: '다시 참여',
  namePlaceholder: '이름',
  nameLabel: '이름',
  micOn: '마이크 켜짐',
  micOff: '마이크 꺼짐',
  microphone: '마이크',
  camera: '카메라',
  recordClip: '클립 녹화',
  muteMic: '마이크 끄기',
  unmuteMic: '마이크 켜기',
  cameraOn: '카메라 켜짐',
  cameraOff: '카메라 꺼짐',
  muteCamera: '카메라 끄기',
  unmuteCamera: '카메라 켜기',
  shareScreen: '화면 공유',
  stopSharing: '공유 중지',
  screenOf: '{name}님의 화면',
  you: '나',
  speaking: '말하는 중',
  startClip: '클립 시작',
  stopClip: '클립 중지',
  recording: '녹화 중',
  recordingElapsed: '녹화 중 {elapsed}',
  replayOn: '다시보기 켜짐: 최근 {seconds}초를 클립으로 만들 수 있어요',
  replayClip: '최근 {seconds}초 클립',
  reconnecting: '다시 연결하는 중…',
  retry: '다시 시도',
  errorTitle: '문제가 발생했습니다',
  participants: '참여자',
  participantCount: '참여자 {count}명',
  participantCountOne: '참여자 1명',
  watchingCount: '{count}명 시청 중',
  watchingCountOne: '1명 시청 중',
  noOneElse: '다른 참여자를 기다리는 중',
  clipsTitle: '클립',
  clipStatusRecording: '녹화 중',
  clipStatusProcessing: '처리 중',
  clipStatusReady: '준비됨',
  clipStatusFailed: '실패',
  clipReadyAnnouncement: '클립 "{name}"이(가) 준비되었습니다',
  clipsEmpty: '아직 클립이 없습니다',
  clipsError: '클립을 불러오지 못했습니다',
  clipUntitled: '제목 없는 클립',
  clipBy: '{name}님의 클립',
  play: '재생',
  delete: '삭제',
  deleteConfirm: '클립 "{name}"을(를) 삭제할까요? 되돌릴 수 없습니다.',
  confirm: '삭제',
  cancel: '취소',
  close: '닫기',
  loading: '불러오는 중…',
  snapshot: '스냅샷',
  snapshotSaved: '스냅샷이 저장되었습니다',
  snapshotFailed: '스냅샷 저장 실패',
  player: '클립 플레이어',
  duration: '길이',
  rename: '이름 바꾸기',
  save: '저장',
  trim: '자르기',
  trimmed: '잘라냄',
  restoreOriginal: '원본 복원',
  restored: '원본 복원됨',
  download: '다운로드',
  copyLink: '링크 복사',
  linkCopied: '링크 복사됨, {date} 만료',
  inPoint: '시작 지점',
  outPoint: '끝 지점',
  editFailed: '저장하지 못했습니다.',
  shareFailed: '링크를 만들지 못했습니다.',
  errorTokenFailed: '방에 접근할 수 없습니다. 다시 시도해 주세요.',
  errorConnectFailed: '방에 연결할 수 없습니다.',
  errorBrowserNotSupported: '지원하지 않는 브라우저입니다.',
  errorInsecureContext: '카메라와 마이크는 보안(https://) 페이지에서만 사용할 수 있습니다.',
  errorDeviceAccessDenied: '카메라 또는 마이크 권한이 거부되었습니다.',
  errorDeviceNotFound: '카메라나 마이크를 찾을 수 없습니다.',
  errorScreenShareFailed: '화면 공유에 실패했습니다.',
  errorScreenShareCancelled: '화면 공유가 취소되었습니다.',
  errorNotConnected: '방에 연결되어 있지 않습니다.',
  errorPermissionDenied: '이 작업을 할 권한이 없습니다.',
  errorClipFailed: '클립을 녹화하지 못했습니다.',
  errorSnapshotFailed: '스냅샷을 저장하지 못했습니다.',
  errorNetwork: '네트워크 문제가 있습니다. 연결을 확인해 주세요.',
  errorInvalidSession: '올바르지 않은 방 이름입니다. 영문자, 숫자, - 또는 _ 로 64자 이내여야 합니다.',
  errorJoinCancelled: '참여를 취소했습니다.',
  errorReplayOff: '다시보기가 꺼져 있습니다.',
  errorReplayEmpty: '아직 클립할 장면이 없습니다.',
  errorUnknown: '문제가 발생했습니다.',
};

export const STRINGS: Readonly<Record<OvLang, OvStrings>> = { en, ko };

/** `ko-KR` → `ko`; anything unknown → `en`. The element's `lang` wins over the document's. */
export function pickLang(elementLang?: string | null, documentLang?: string | null): OvLang {
  for (const l of [elementLang, documentLang]) {
    const base = (l ?? '').trim().toLowerCase().split(/[-_]/)[0];
    if (base && base in STRINGS) return base as OvLang;
    if (base) return 'en';
  }
  return 'en';
}

/** The strings for `lang` with `overrides` on top (unknown keys and non-string values are ignored). */
export function resolveStrings(lang: string | null | undefined = 'en', overrides?: Partial<OvStrings> | null): OvStrings {
  const base = STRINGS[pickLang(lang)];
  if (!overrides) return base;
  const out = { ...base };
  for (const [k, v] of Object.entries(overrides)) if (k in base && typeof v === 'string') out[k as keyof OvStrings] = v;
  return out;
}

/** Fills `{name}` placeholders. */
export function format(template: string, values: Record<string, string | number>): string {
  return template.replace(/\{(\w+)\}/g, (m, k: string) => (k in values ? String(values[k]) : m));
}

/** `SCREEN_SHARE_FAILED` → `ScreenShareFailed`. */
type Pascal<S extends string> = S extends `${infer H}_${infer T}` ? `${Capitalize<Lowercase<H>>}${Pascal<T>}` : Capitalize<Lowercase<S>>;
/** One string per OvErrorCode, named after it (`errorScreenShareFailed`): a code without its string does not compile. */
type ErrorStrings = { [C in OvErrorCode as `error${Pascal<C>}`]: string };

/** The message for an error code (`errorScreenShareFailed` for `SCREEN_SHARE_FAILED`); `errorUnknown` for any other. */
export function errorMessage(strings: OvStrings, code: OvErrorCode): string {
  const key = `error${String(code)
    .toLowerCase()
    .replace(/(?:^|_)(\w)/g, (_, c: string) => c.toUpperCase())}`;
  return (key in strings && strings[key as keyof ErrorStrings]) || strings.errorUnknown;
}

/** `clipStatusReady` for `ready`. */
export function clipStatusLabel(strings: OvStrings, status: ClipStatus): string {
  return strings[`clipStatus${status.charAt(0).toUpperCase()}${status.slice(1)}` as `clipStatus${Capitalize<ClipStatus>}`];
}

/** Text for a room state (for status lines and live regions). */
export function stateLabel(strings: OvStrings, state: RoomState): string {
  switch (state) {
    case 'joining':
      return strings.joining;
    case 'reconnecting':
      return strings.reconnecting;
    case 'left':
      return strings.leftTitle;
    case 'error':
      return strings.errorTitle;
    default:
      return '';
  }
}

/** "1 watching" / "{count} watching". */
export function watchingCount(strings: OvStrings, count: number): string {
  return count === 1 ? strings.watchingCountOne : format(strings.watchingCount, { count });
}

/** "1 participant" / "{count} participants". */
export function participantCount(strings: OvStrings, count: number): string {
  return count === 1 ? strings.participantCountOne : format(strings.participantCount, { count });
}
