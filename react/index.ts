// `ov-live-elements/react`: React components for the three elements, made with @lit/react. Every property of an
// element is a prop; every `ov-*` event it fires is an `onOv…` prop. Importing this module defines the tags.
import * as React from 'react';
import { createComponent, type EventName, type ReactWebComponent } from '@lit/react';
import { OvLiveRoom as OvLiveRoomElement } from '../components/live-room/live-room.js';
import { OvClipList as OvClipListElement } from '../components/clip-list/clip-list.js';
import { OvSnapshotButton as OvSnapshotButtonElement } from '../components/snapshot-button/snapshot-button.js';
import type {
  OvClipDeletedEvent,
  OvClipFailedEvent,
  OvClipReadyEvent,
  OvClipSelectEvent,
  OvClipStartedEvent,
  OvClipStoppedEvent,
  OvErrorEvent,
  OvJoinedEvent,
  OvLeftEvent,
  OvParticipantJoinedEvent,
  OvParticipantLeftEvent,
  OvScreenShareStartedEvent,
  OvScreenShareStoppedEvent,
  OvSnapshotEvent,
  OvStateChangeEvent,
  OvReplayChangedEvent,
} from '../components/events/index.js';
import type { OvClipRenamedEvent } from '../components/events/ov-clip-renamed.js';
import type { OvClipSharedEvent } from '../components/events/ov-clip-shared.js';
import type { OvClipTrimmedEvent } from '../components/events/ov-clip-trimmed.js';
import type { OvClipUpdatedEvent } from '../components/events/ov-clip-updated.js';

export type * from '../components/events/index.js';
export type * from '../components/events/ov-clip-renamed.js';
export type * from '../components/events/ov-clip-shared.js';
export type * from '../components/events/ov-clip-trimmed.js';
export type * from '../components/events/ov-clip-updated.js';

/** `onOv…` props of `<OvLiveRoom>`, each with the event it receives. */
const liveRoomEvents = {
  onOvJoined: 'ov-joined' as EventName<OvJoinedEvent>,
  onOvLeft: 'ov-left' as EventName<OvLeftEvent>,
  onOvParticipantJoined: 'ov-participant-joined' as EventName<OvParticipantJoinedEvent>,
  onOvParticipantLeft: 'ov-participant-left' as EventName<OvParticipantLeftEvent>,
  onOvStateChange: 'ov-state-change' as EventName<OvStateChangeEvent>,
  onOvClipStarted: 'ov-clip-started' as EventName<OvClipStartedEvent>,
  onOvClipStopped: 'ov-clip-stopped' as EventName<OvClipStoppedEvent>,
  onOvClipReady: 'ov-clip-ready' as EventName<OvClipReadyEvent>,
  onOvClipFailed: 'ov-clip-failed' as EventName<OvClipFailedEvent>,
  onOvClipUpdated: 'ov-clip-updated' as EventName<OvClipUpdatedEvent>,
  onOvReplayChanged: 'ov-replay-changed' as EventName<OvReplayChangedEvent>,
  onOvScreenShareStarted: 'ov-screen-share-started' as EventName<OvScreenShareStartedEvent>,
  onOvScreenShareStopped: 'ov-screen-share-stopped' as EventName<OvScreenShareStoppedEvent>,
  onOvError: 'ov-error' as EventName<OvErrorEvent>,
};

/** `onOv…` props of `<OvClipList>`. */
const clipListEvents = {
  onOvClipSelect: 'ov-clip-select' as EventName<OvClipSelectEvent>,
  onOvClipDeleted: 'ov-clip-deleted' as EventName<OvClipDeletedEvent>,
  onOvClipRenamed: 'ov-clip-renamed' as EventName<OvClipRenamedEvent>,
  onOvClipTrimmed: 'ov-clip-trimmed' as EventName<OvClipTrimmedEvent>,
  onOvClipShared: 'ov-clip-shared' as EventName<OvClipSharedEvent>,
  onOvError: 'ov-error' as EventName<OvErrorEvent>,
};

/** `onOv…` props of `<OvSnapshotButton>`. */
const snapshotButtonEvents = {
  onOvSnapshot: 'ov-snapshot' as EventName<OvSnapshotEvent>,
  onOvError: 'ov-error' as EventName<OvErrorEvent>,
};

/** `<ov-live-room>`: joins a session and shows everyone's video, with clip, screen-share and leave controls. */
export const OvLiveRoom: ReactWebComponent<OvLiveRoomElement, typeof liveRoomEvents> = createComponent({
  react: React,
  tagName: 'ov-live-room',
  elementClass: OvLiveRoomElement,
  events: liveRoomEvents,
  displayName: 'OvLiveRoom',
});

/** `<ov-clip-list>`: the session's clips, updated live, with a player. */
export const OvClipList: ReactWebComponent<OvClipListElement, typeof clipListEvents> = createComponent({
  react: React,
  tagName: 'ov-clip-list',
  elementClass: OvClipListElement,
  events: clipListEvents,
  displayName: 'OvClipList',
});

/** `<ov-snapshot-button>`: captures a room's frame and uploads it. */
export const OvSnapshotButton: ReactWebComponent<OvSnapshotButtonElement, typeof snapshotButtonEvents> = createComponent({
  react: React,
  tagName: 'ov-snapshot-button',
  elementClass: OvSnapshotButtonElement,
  events: snapshotButtonEvents,
  displayName: 'OvSnapshotButton',
});

export type OvLiveRoomProps = React.ComponentProps<typeof OvLiveRoom>;
export type OvClipListProps = React.ComponentProps<typeof OvClipList>;
export type OvSnapshotButtonProps = React.ComponentProps<typeof OvSnapshotButton>;
