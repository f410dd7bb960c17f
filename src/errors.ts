import type { OvErrorCode } from './types.js';

export type { OvErrorCode };

/** The one error type the core throws and emits: a stable `code` for programs, a readable `message` for people. */
export class OvError extends Error {
  override readonly name = 'OvError';
  readonly code: OvErrorCode;
  /** HTTP status, when an HTTP call failed. */
  readonly status?: number;

  constructor(code: OvErrorCode, message: string, options: { status?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    if (options.status !== undefined) this.status = options.status;
  }
}

// openvidu-browser's OpenViduError names (OpenViduErrorName) → our codes.
const OPENVIDU_ERRORS: Record<string, OvErrorCode> = {
  BROWSER_NOT_SUPPORTED: 'BROWSER_NOT_SUPPORTED',
  DEVICE_ACCESS_DENIED: 'DEVICE_ACCESS_DENIED',
  DEVICE_ALREADY_IN_USE: 'DEVICE_ACCESS_DENIED',
  INPUT_VIDEO_DEVICE_NOT_FOUND: 'DEVICE_NOT_FOUND',
  INPUT_AUDIO_DEVICE_NOT_FOUND: 'DEVICE_NOT_FOUND',
  INPUT_AUDIO_DEVICE_GENERIC_ERROR: 'DEVICE_ACCESS_DENIED',
  NO_INPUT_SOURCE_SET: 'DEVICE_NOT_FOUND',
  SCREEN_CAPTURE_DENIED: 'SCREEN_SHARE_CANCELLED',
  SCREEN_SHARING_NOT_SUPPORTED: 'SCREEN_SHARE_FAILED',
  SCREEN_EXTENSION_NOT_INSTALLED: 'SCREEN_SHARE_FAILED',
  SCREEN_EXTENSION_DISABLED: 'SCREEN_SHARE_FAILED',
  OPENVIDU_PERMISSION_DENIED: 'PERMISSION_DENIED',
  OPENVIDU_NOT_CONNECTED: 'NOT_CONNECTED',
  TIMEOUT: 'NETWORK',
  // DOMException names from getUserMedia/getDisplayMedia when called directly.
  NotAllowedError: 'DEVICE_ACCESS_DENIED',
  NotFoundError: 'DEVICE_NOT_FOUND',
  NotReadableError: 'DEVICE_ACCESS_DENIED',
  OverconstrainedError: 'DEVICE_NOT_FOUND',
  AbortError: 'SCREEN_SHARE_CANCELLED',
};

/** Normalises anything thrown (openvidu-browser's `OpenViduError {name, message}`, DOMException, Error, string) to OvError. */
export function toOvError(err: unknown, fallback: OvErrorCode = 'UNKNOWN'): OvError {
  if (err instanceof OvError) return err;
  const name = typeof (err as { name?: unknown })?.name === 'string' ? (err as { name: string }).name : '';
  let code = OPENVIDU_ERRORS[name] ?? fallback;
  // getDisplayMedia's DOMExceptions are about the screen, never the camera: refused or picker closed is a cancel;
  // nothing to capture (NotFoundError: Firefox without a screen, headless Firefox always) or a broken capture fails.
  if (/^SCREEN_SHARE/.test(fallback) && /^(NotAllowed|Abort|NotFound|NotReadable|Overconstrained|InvalidState|Type)Error$/.test(name)) {
    code = /^(NotAllowed|Abort)/.test(name) ? 'SCREEN_SHARE_CANCELLED' : 'SCREEN_SHARE_FAILED';
  }
  if (name === 'TypeError' && fallback === 'UNKNOWN') code = 'NETWORK';
  const message = typeof (err as { message?: unknown })?.message === 'string' && (err as Error).message ? (err as Error).message : String(err);
  const status = typeof (err as { status?: unknown })?.status === 'number' ? (err as { status: number }).status : undefined;
  return new OvError(code, message, { status, cause: err });
}
