import { css } from 'lit';

export const styles = css`
  :host {
    display: block;
    container-type: inline-size;
  }
  .room {
    position: relative;
    display: flex;
    flex-direction: column;
    gap: var(--_gap);
    min-height: 240px;
    padding: var(--_gap);
    background: var(--_bg);
    border-radius: var(--_radius);
  }
  .panel {
    flex: 1;
    display: flex;
    flex-direction: column;
    align-items: center;
    justify-content: center;
    gap: var(--_gap);
    text-align: center;
    padding: 24px 12px;
  }
  .panel p {
    margin: 0;
  }
  .code,
  .watching {
    color: var(--_muted);
    font-size: 0.85em;
  }
  .watching {
    margin: 0;
  }
  .grid {
    display: grid;
    gap: var(--_gap);
    grid-template-columns: repeat(auto-fit, minmax(min(100%, var(--ov-tile-min-width, 240px)), 1fr));
    align-content: center;
  }
  .toolbar {
    display: flex;
    flex-wrap: wrap;
    justify-content: center;
    gap: var(--_gap);
  }
  .clock {
    align-self: center;
    margin-left: -4px;
    color: var(--_danger);
    font-weight: 600;
    font-variant-numeric: tabular-nums;
  }
  .rec {
    align-self: flex-start;
    display: inline-flex;
    align-items: center;
    gap: 4px;
    padding: 2px 10px 2px 6px;
    border-radius: 999px;
    background: var(--_danger);
    color: var(--_on-danger);
    font-variant-numeric: tabular-nums;
  }
  .rep {
    background: none;
    color: var(--_danger);
    box-shadow: inset 0 0 0 1px;
  }
  .overlay {
    position: absolute;
    inset: 0;
    display: flex;
    flex-direction: column;
    align-items: center;
    justify-content: center;
    gap: var(--_gap);
    background: rgb(17 24 39 / 0.75);
    color: #fff;
    border-radius: var(--_radius);
    z-index: 1;
  }
  @container (max-width: 420px) {
    .toolbar button {
      padding: 6px 8px;
    }
  }
  /* A phone: two tiles per row once there are two, so the toolbar stays in view. */
  @container (max-width: 560px) {
    .grid:not([data-count='1']) {
      grid-template-columns: repeat(2, minmax(0, 1fr));
    }
  }
`;
