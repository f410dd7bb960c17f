import { css } from 'lit';

export const styles = css`
  :host {
    display: block;
  }
  ul {
    list-style: none;
    margin: 0;
    padding: 0;
    display: grid;
    gap: var(--_gap);
  }
  li {
    display: flex;
    align-items: center;
    gap: var(--_gap);
    flex-wrap: wrap;
  }
  .clip {
    flex: 1 1 220px;
    min-width: 0;
    display: flex;
    align-items: center;
    justify-content: flex-start;
    gap: var(--_gap);
    padding: 6px;
    text-align: start;
    border-radius: var(--_radius);
    background: var(--_surface);
  }
  .thumb {
    position: relative;
    flex: none;
    width: var(--ov-thumbnail-width, 96px);
    aspect-ratio: 16 / 9;
    border-radius: calc(var(--_radius) / 2);
    background: #d1d5db;
    overflow: hidden;
    display: grid;
    place-items: center;
  }
  .thumb img {
    position: absolute;
    inset: 0;
    width: 100%;
    height: 100%;
    object-fit: cover;
  }
  .thumb svg {
    position: relative;
    color: #fff;
    filter: drop-shadow(0 0 2px #000);
  }
  .text {
    flex: 1;
    min-width: 0;
    display: grid;
  }
  .name {
    font-weight: 600;
    overflow: hidden;
    text-overflow: ellipsis;
    white-space: nowrap;
  }
  .meta {
    color: var(--_muted);
    font-size: 0.9em;
    font-variant-numeric: tabular-nums;
  }
  .badge {
    flex: none;
    padding: 1px 8px;
    border-radius: 999px;
    font-size: 0.85em;
    color: #fff;
    background: var(--ov-status-processing, #92400e);
  }
  .badge.recording {
    background: var(--ov-status-recording, var(--_danger));
  }
  .badge.ready {
    background: var(--ov-status-ready, #166534);
  }
  .badge.failed {
    background: var(--ov-status-failed, #374151);
  }
  .confirm {
    display: inline-flex;
    align-items: center;
    gap: 6px;
    flex-wrap: wrap;
  }
  .state {
    display: flex;
    flex-direction: column;
    align-items: center;
    gap: var(--_gap);
    padding: 16px;
    margin: 0;
    color: var(--_muted);
  }
  .state p {
    margin: 0;
  }
`;

/** The player dialog (components/internal/media-player.ts); its editing tools bring their own. */
export const playerStyles = css`
  dialog {
    width: var(--ov-player-width, min(960px, 96vw));
    max-width: 96vw;
    padding: 12px;
    border: none;
    border-radius: var(--_radius);
    background: var(--_bg);
    color: var(--_text);
  }
  dialog::backdrop {
    background: rgb(0 0 0 / 0.6);
  }
  header {
    display: flex;
    align-items: center;
    gap: var(--_gap);
    margin-bottom: 8px;
  }
  h2 {
    margin: 0;
    flex: 1;
    font-size: 1.1em;
    overflow-wrap: anywhere;
  }
  video {
    width: 100%;
    max-height: 70vh;
    background: #000;
    display: block;
  }
`;
