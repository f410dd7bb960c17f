import { css } from 'lit';

/**
 * Shared by every element. Reads the global `--ov-*` tokens (set them on any ancestor, e.g. `:root`) through private
 * `--_*` variables with light-theme defaults, so a page's value always wins over ours.
 */
export const componentStyles = css`
  :host {
    --_bg: var(--ov-color-background, #ffffff);
    --_surface: var(--ov-color-surface, #f3f4f6);
    --_text: var(--ov-color-text, #111827);
    --_muted: var(--ov-color-text-muted, #4b5563);
    --_accent: var(--ov-color-accent, #1d4ed8);
    --_on-accent: var(--ov-color-on-accent, #ffffff);
    --_danger: var(--ov-color-danger, #b91c1c);
    --_on-danger: var(--ov-color-on-danger, #ffffff);
    --_focus: var(--ov-focus-ring, 0 0 0 3px #93c5fd);
    --_radius: var(--ov-radius, 8px);
    --_gap: var(--ov-gap, 8px);
    box-sizing: border-box;
    font-family: var(--ov-font-family, system-ui, -apple-system, 'Segoe UI', Roboto, 'Noto Sans KR', sans-serif);
    font-size: var(--ov-font-size, 14px);
    color: var(--_text);
  }
  :host([hidden]) {
    display: none !important;
  }
  *,
  *::before,
  *::after {
    box-sizing: inherit;
  }
  button {
    font: inherit;
    display: inline-flex;
    align-items: center;
    justify-content: center;
    gap: 6px;
    min-height: 36px;
    min-width: 36px;
    padding: 6px 12px;
    border: 1px solid transparent;
    border-radius: var(--_radius);
    background: var(--_surface);
    color: var(--_text);
    cursor: pointer;
  }
  button:disabled {
    cursor: default;
    opacity: 0.6;
  }
  button.primary,
  button[aria-pressed='true'] {
    background: var(--_accent);
    color: var(--_on-accent);
  }
  button.danger {
    background: var(--_danger);
    color: var(--_on-danger);
  }
  :focus-visible {
    outline: none;
    box-shadow: var(--_focus);
  }
  svg {
    width: 18px;
    height: 18px;
    fill: currentColor;
    flex: none;
  }
  .sr-only {
    position: absolute;
    width: 1px;
    height: 1px;
    overflow: hidden;
    clip: rect(0 0 0 0);
    white-space: nowrap;
  }
  .spinner {
    width: 28px;
    height: 28px;
    border: 3px solid currentColor;
    border-right-color: transparent;
    border-radius: 50%;
    animation: ov-spin 0.8s linear infinite;
  }
  @keyframes ov-spin {
    to {
      transform: rotate(360deg);
    }
  }
  @media (prefers-reduced-motion: reduce) {
    *,
    *::before,
    *::after {
      animation-duration: 0.01ms !important;
      animation-iteration-count: 1 !important;
      transition-duration: 0.01ms !important;
    }
  }
`;
