// The React wrappers (react/index.ts, `ov-live-elements/react`) mounted with react-dom in Chromium, against the REAL
// reference server + embedded OpenVidu started by web-test-runner.config.mjs: props reach the elements as
// properties, and `ov-*` events reach the `onOv…` props.
import { expect, waitUntil } from '@open-wc/testing';
import { createElement, createRef, Fragment } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { OvClipList, OvLiveRoom, OvSnapshotButton, type OvJoinedEvent, type OvSnapshotEvent } from '../../react/index.js';
import { OvErrorEvent } from '../../components/events/ov-error.js';
import type { OvLiveRoom as OvLiveRoomElement } from '../../components/live-room/live-room.js';
import type { OvClipList as OvClipListElement } from '../../components/clip-list/clip-list.js';
import type { OvSnapshotButton as OvSnapshotButtonElement } from '../../components/snapshot-button/snapshot-button.js';

const api = (window as unknown as { OV_TEST_API?: string }).OV_TEST_API ?? '/api';
const uniqueSession = () => `react-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;

let container: HTMLElement;
let root: Root;
beforeEach(() => {
  container = document.createElement('div');
  document.body.append(container);
  root = createRoot(container);
});
afterEach(async () => {
  await (container.querySelector('ov-live-room') as OvLiveRoomElement | null)?.leave().catch(() => undefined);
  root.unmount();
  container.remove();
});

describe('React wrappers (ov-live-elements/react)', () => {
  it('props reach the elements; ov-joined, ov-state-change, ov-snapshot and ov-error reach their onOv… props', async () => {
    const session = uniqueSession();
    const joined: OvJoinedEvent[] = [];
    const states: string[] = [];
    const snapshots: OvSnapshotEvent[] = [];
    const listErrors: OvErrorEvent[] = [];
    const strings = { join: 'Enter' };
    const ref = createRef<OvLiveRoomElement>();
    root.render(
      createElement(
        Fragment,
        null,
        createElement(OvLiveRoom, {
          ref,
          id: 'react-room',
          api,
          session,
          name: 'Ana',
          noAudio: true,
          autojoin: true, // set by React after the element is in the page: the element joins then
          strings,
          onOvJoined: (e) => joined.push(e),
          onOvStateChange: (e) => states.push(e.detail.state),
        }),
        createElement(OvSnapshotButton, { for: 'react-room', noUpload: true, format: 'image/png', onOvSnapshot: (e) => snapshots.push(e) }),
        createElement(OvClipList, { for: 'react-room', onOvError: (e) => listErrors.push(e) }),
      ),
    );
    await waitUntil(() => container.querySelector('ov-live-room'), 'React rendered <ov-live-room>');
    const room = container.querySelector('ov-live-room') as OvLiveRoomElement;
    expect(ref.current, 'the ref is the element').to.equal(room);
    const button = container.querySelector('ov-snapshot-button') as OvSnapshotButtonElement;
    const list = container.querySelector('ov-clip-list') as OvClipListElement;

    // attributes and properties alike, including ones without an attribute (strings)
    expect(room.session).to.equal(session);
    expect(room.name).to.equal('Ana');
    expect(room.noAudio).to.equal(true);
    expect(room.strings).to.equal(strings);
    expect(button.noUpload).to.equal(true);
    expect(list.for).to.equal('react-room');

    await waitUntil(() => joined.length === 1, 'onOvJoined was called', { timeout: 20_000 });
    expect(joined[0].detail.session).to.equal(session);
    expect(joined[0].detail.connectionId).to.be.a('string').and.not.empty;
    expect(states).to.include('live');

    // a frame of the fake camera, captured by the button through the room it names
    await waitUntil(() => room.shadowRoot!.querySelector('ov-video-tile')?.shadowRoot?.querySelector('video')?.videoWidth, 'the local video plays', {
      timeout: 20_000,
    });
    (button.shadowRoot!.querySelector('[part~="button"]') as HTMLButtonElement).click();
    await waitUntil(() => snapshots.length === 1, 'onOvSnapshot was called', { timeout: 10_000 });
    expect(snapshots[0].detail.blob.type).to.equal('image/png');
    expect(snapshots[0].detail.blob.size).to.be.above(0);

    list.dispatchEvent(new OvErrorEvent({ code: 'NETWORK', message: 'offline' }));
    expect(listErrors.map((e) => e.detail.code)).to.deep.equal(['NETWORK']);
  });

  it('a new handler replaces the old one on re-render', async () => {
    const calls: string[] = [];
    const render = (label: string) => root.render(createElement(OvSnapshotButton, { source: label, onOvError: () => calls.push(label) }));
    render('first');
    await waitUntil(() => container.querySelector('ov-snapshot-button')?.source === 'first', 'React rendered <ov-snapshot-button>');
    const button = container.querySelector('ov-snapshot-button')!;
    button.dispatchEvent(new OvErrorEvent({ code: 'SNAPSHOT_FAILED', message: 'm' }));
    render('second');
    await waitUntil(() => button.source === 'second', 'React re-rendered with the new props');
    button.dispatchEvent(new OvErrorEvent({ code: 'SNAPSHOT_FAILED', message: 'm' }));
    expect(calls).to.deep.equal(['first', 'second']);
  });
});
