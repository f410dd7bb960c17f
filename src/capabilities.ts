/** The parts of `navigator` that `canShareScreen` reads (injectable for tests). */
export interface NavigatorLike {
  userAgent?: string;
  platform?: string;
  maxTouchPoints?: number;
  userAgentData?: { mobile?: boolean } | null;
  mediaDevices?: { getDisplayMedia?: unknown } | null;
}

const MOBILE_UA = /iPhone|iPad|iPod|Android|Mobile/i;

/** True on phones and tablets: UA Client Hints first, then the UA string, then iPadOS posing as a Mac. */
export function isMobileDevice(nav: NavigatorLike = navigator as NavigatorLike): boolean {
  const hint = nav.userAgentData?.mobile;
  if (typeof hint === 'boolean' && hint) return true;
  const ua = nav.userAgent ?? '';
  if (MOBILE_UA.test(ua)) return true;
  // iPadOS 13+ sends a desktop Safari UA; a "Mac" with a touch screen is an iPad.
  const mac = /Macintosh|Mac OS X/.test(ua) || /^Mac/.test(nav.platform ?? '');
  if (mac && (nav.maxTouchPoints ?? 0) > 1) return true;
  return false;
}

/** Screen sharing is offered where `getDisplayMedia` exists and the device is not mobile (mobile browsers lack it or fail). */
export function canShareScreen(nav: NavigatorLike = navigator as NavigatorLike): boolean {
  if (typeof nav.mediaDevices?.getDisplayMedia !== 'function') return false;
  return !isMobileDevice(nav);
}
