import { sendMouse } from '@web/test-runner-commands';

/**
 * A real mouse click, sent by the test runner through the browser's input pipeline: it gives the page the transient
 * user activation that Firefox requires before getDisplayMedia (Chromium does not). With an element, its centre is
 * clicked, as a user would; without one, a corner of the page.
 */
export async function realClick(element?: Element): Promise<void> {
  const r = element?.getBoundingClientRect();
  const position: [number, number] = r ? [Math.round(r.left + r.width / 2), Math.round(r.top + r.height / 2)] : [1, 1];
  await sendMouse({ type: 'click', position });
}

/** Whether getDisplayMedia has a screen to capture: not in headless Firefox (no Xvfb; web-test-runner.config.mjs). */
export const canCaptureScreen = !(
  /Firefox\//.test(navigator.userAgent) && (window as unknown as { OV_TEST_FIREFOX_HEADLESS?: boolean }).OV_TEST_FIREFOX_HEADLESS
);
