import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { LiveRoomApi, LiveRoomEvents } from '../../src/room/room-api.js';
import type { ParticipantInfo, RoomState } from '../../src/types.js';
import { OvClipFailedEvent } from '../events/ov-clip-failed.js';
import { OvClipReadyEvent } from '../events/ov-clip-ready.js';
import { OvClipStartedEvent } from '../events/ov-clip-started.js';
import { OvClipStoppedEvent } from '../events/ov-clip-stopped.js';
import { OvClipUpdatedEvent } from '../events/ov-clip-updated.js';
import { OvJoinedEvent } from '../events/ov-joined.js';
import { OvLeftEvent } from '../events/ov-left.js';
import { OvParticipantJoinedEvent } from '../events/ov-participant-joined.js';
import { OvParticipantLeftEvent } from '../events/ov-participant-left.js';
import { OvReplayChangedEvent } from '../events/ov-replay-changed.js';
import { OvScreenShareStartedEvent } from '../events/ov-screen-share-started.js';
import { OvScreenShareStoppedEvent } from '../events/ov-screen-share-stopped.js';

/** One of the room's events, by name, with its detail. */
export type RoomEvent = { [K in keyof LiveRoomEvents]: { name: K; detail: LiveRoomEvents[K] } }[keyof LiveRoomEvents];

/** The room's events that become `ov-*` DOM events as they are. */
const DOM_EVENTS: { [K in RoomEvent['name']]?: new (detail: never) => Event } = {
  joined: OvJoinedEvent,
  left: OvLeftEvent,
  participantJoined: OvParticipantJoinedEvent,
  participantLeft: OvParticipantLeftEvent,
  clipStarted: OvClipStartedEvent,
  clipStopped: OvClipStoppedEvent,
  clipReady: OvClipReadyEvent,
  clipFailed: OvClipFailedEvent,
  clipUpdated: OvClipUpdatedEvent,
  replayChange: OvReplayChangedEvent,
  screenShareStarted: OvScreenShareStartedEvent,
  screenShareStopped: OvScreenShareStoppedEvent,
};
const EVENTS = [...Object.keys(DOM_EVENTS), 'stateChange', 'participantsChanged', 'recordingChange', 'error'] as RoomEvent['name'][];

/**
 * The element's view of its LiveRoom, the one source of truth: state, participants, recording, replay buffer and
 * screen share are read from the room, never copied. Every event of the room asks the host to update; those with an
 * `ov-*` twin are dispatched on the host as such, the others (`stateChange`, `error`, …) go to `onEvent`.
 * While recording, the host updates every second (the elapsed time). When the host leaves the page for good (not
 * put back by the next animation frame, as a move does), an active room leaves.
 */
export class RoomController implements ReactiveController {
  /** The room followed (set by `attach()`). */
  room?: LiveRoomApi;
  #offs: (() => void)[] = [];
  #participants?: readonly ParticipantInfo[];
  #clock?: ReturnType<typeof setInterval>;

  constructor(
    private readonly host: ReactiveControllerHost & HTMLElement,
    private readonly onEvent: (event: RoomEvent, room: LiveRoomApi) => void,
  ) {
    host.addController(this);
  }

  /** Follows `room` from now on, and no longer the previous one. */
  attach(room: LiveRoomApi) {
    this.#offs.forEach((off) => off());
    this.room = room;
    this.#participants = undefined;
    this.#offs = EVENTS.map((name) =>
      room.on(name, (detail) => {
        const DomEvent = DOM_EVENTS[name];
        this.#participants = undefined;
        this.host.requestUpdate();
        if (DomEvent) this.host.dispatchEvent(new DomEvent(detail as never));
        else this.onEvent({ name, detail } as RoomEvent, room);
      }),
    );
  }

  get state(): RoomState {
    return this.room?.state ?? 'idle';
  }

  /** `joining`, `live` or `reconnecting`: in a call, or on the way. */
  get active(): boolean {
    return /^(joining|live|reconnecting)$/.test(this.state);
  }

  /** The room's participants, read again after each of its events (the core builds a new list on every read). */
  get participants(): readonly ParticipantInfo[] {
    return (this.#participants ??= this.room?.participants ?? []);
  }

  get recording(): LiveRoomApi['recording'] {
    return this.room?.recording ?? { active: false };
  }

  get replay(): LiveRoomApi['replay'] {
    return this.room?.replay ?? null;
  }

  get screenSharing(): boolean {
    return !!this.room?.screenSharing;
  }

  get watching(): number {
    return this.room?.watching ?? 0;
  }

  hostUpdated() {
    if (this.recording.active && this.active) this.#clock ??= setInterval(() => this.host.requestUpdate(), 1000);
    else {
      clearInterval(this.#clock);
      this.#clock = undefined;
    }
  }

  hostDisconnected() {
    // A move is a disconnect and a connect in the same task (or a microtask later): only a real removal leaves.
    new Promise((frame) => {
      requestAnimationFrame(frame);
      setTimeout(frame, 100); // no animation frames in a hidden tab
    }).then(() => {
      if (!this.host.isConnected && this.active) this.room!.leave().catch(() => undefined);
    });
  }
}
