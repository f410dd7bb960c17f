/**
 * Everyone leaves a session while it is being recorded: CE 2.32's autostop (RecordingManager
 * .initAutomaticRecordingStopThread), the same in both modes. One Chromium publisher (a recording started with
 * nobody publishing counts down from its start instead), media-less joiners, a stub recorder; the countdown
 * (OPENVIDU_RECORDING_AUTOSTOP_TIMEOUT) is 1 s, or 0.
 *
 * Run: npm test -- test/embedded-openvidu/ce-autostop.test.ts
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { isEmbedded } from '../helpers/openvidu-target.js';
import { startOvBrowser, type OvBrowser } from '../helpers/ov-browser.js';
import { useStubRecorder } from '../helpers/stub-recorder.js';
import { startMode, type Mode } from './ce-fixtures.js';

const SKIP = !isEmbedded() && 'needs the embedded server (its webhook and timeout are set here)';
const FAKE = Buffer.alloc(2048, 2);

describe('autostop when everyone leaves a recorded session (both modes, as CE)', { skip: SKIP }, () => {
  const modes: Mode[] = [];
  const instant: Mode[] = [];
  let browser: OvBrowser;
  const each = async (list: Mode[], fn: (m: Mode) => Promise<void>) => {
    for (const m of list) await fn(m);
  };
  /** A session with one Chromium publisher, being recorded; `leave()` disconnects the publisher. */
  const recorded = async (m: Mode) => {
    const session = await m.ov.createSession();
    const p = await browser.participant();
    await p.join((await session.createConnection()).token, 'cam');
    await p.publish({ resolution: '320x240', frameRate: 15 });
    const rec = await m.ov.startRecording(session.sessionId);
    const leave = async () => {
      await p.call('ovLeave');
      await m.hook(session.sessionId, (e) => e.event === 'participantLeft', 'participantLeft');
      await p.close();
    };
    return { session, rec, leave };
  };
  /** Participants leaving, recordings and the session's end, from the first participantLeft on. */
  const ending = (m: Mode, sessionId: string) => {
    const trail = m.trail(sessionId).filter((e) => /^(participantLeft|recordingStatusChanged|sessionDestroyed):/.test(e));
    return trail.slice(trail.findIndex((e) => e.startsWith('participantLeft')));
  };

  before(async () => {
    for (const name of ['strict', 'normal'] as const) {
      modes.push(await startMode(name, { recordingAutostopTimeout: 1 }));
      instant.push(await startMode(name, { recordingAutostopTimeout: 0 }));
    }
    for (const m of [...modes, ...instant]) useStubRecorder(m.target.embedded!, FAKE);
    browser = await startOvBrowser();
  });

  after(async () => {
    await browser?.close();
    for (const m of [...modes, ...instant]) await m.close();
  });

  test('the session outlives its last participant for the countdown, then the recording stops and the session closes (automaticStop)', async () => {
    await each(modes, async (m) => {
      const { session, rec, leave } = await recorded(m);
      await leave();
      const left = Date.now();
      assert.equal((await m.call('GET', `/sessions/${session.sessionId}`)).status, 200, `${m.name}: still there during the countdown`);
      await m.hook(session.sessionId, (e) => e.event === 'sessionDestroyed', 'sessionDestroyed', 6000);
      assert.ok(Date.now() - left >= 800, `${m.name}: not before the timeout`);
      assert.deepEqual(ending(m, session.sessionId), [
        'participantLeft::disconnect',
        'recordingStatusChanged:stopped:automaticStop',
        'recordingStatusChanged:ready:automaticStop',
        'sessionDestroyed::automaticStop',
      ]);
      assert.equal((await m.ov.getRecording(rec.id)).status, 'ready');
    });
  });

  test('someone joins during the countdown without publishing: it runs out all the same; the recording stops, the session stays', async () => {
    await each(modes, async (m) => {
      const { session, rec, leave } = await recorded(m);
      await leave();
      const joiner = await m.join(session, 'late');
      const stopped = await m.hook(session.sessionId, (e) => e.status === 'stopped', 'autostop with a participant in', 6000);
      assert.equal(stopped.reason, 'automaticStop', m.name);
      assert.equal((await joiner.waitFor('recordingStopped', (x) => x.id === rec.id, 3000)).reason, 'automaticStop', `${m.name}: the joiner is told`);
      assert.equal((await m.call('GET', `/sessions/${session.sessionId}`)).status, 200, `${m.name}: the session stays`);
      assert.notEqual((await m.ov.getRecording(rec.id)).status, 'started');
    });
  });

  test('the recording stopped over REST during the countdown: the answer is `stopped`, then the session closes (recordingStoppedByServer)', async () => {
    await each(modes, async (m) => {
      const { session, rec, leave } = await recorded(m);
      await leave();
      assert.equal((await m.ov.stopRecording(rec.id)).status, 'stopped', m.name);
      await m.hook(session.sessionId, (e) => e.event === 'sessionDestroyed', 'sessionDestroyed');
      assert.deepEqual(ending(m, session.sessionId), [
        'participantLeft::disconnect',
        'recordingStatusChanged:stopped:recordingStoppedByServer',
        'recordingStatusChanged:ready:recordingStoppedByServer',
        'sessionDestroyed::recordingStoppedByServer',
      ]);
    });
  });

  test('a timeout of 0: the recording stops and the session closes at once, both with lastParticipantLeft', async () => {
    await each(instant, async (m) => {
      const { session, leave } = await recorded(m);
      await leave();
      await m.hook(session.sessionId, (e) => e.event === 'sessionDestroyed', 'sessionDestroyed');
      assert.deepEqual(ending(m, session.sessionId), [
        'participantLeft::disconnect',
        'recordingStatusChanged:stopped:lastParticipantLeft',
        'recordingStatusChanged:ready:lastParticipantLeft',
        'sessionDestroyed::lastParticipantLeft',
      ]);
    });
  });
});
