/* global OpenVidu */
// In-page driver for openvidu-browser (loaded from the unmodified npm bundle as the global `OpenVidu`).
// Tests call these functions through page.evaluate and read window.ovLog.
(() => {
  const log = [];
  const subscribers = new Map(); // connectionId -> { subscriber, video }
  let OV;
  let session;
  let publisher;
  const push = (entry) => log.push({ t: Date.now(), ...entry });

  window.ovLog = log;

  window.ovJoin = async (token, clientData) => {
    push({ type: 'joinStart' });
    OV = new OpenVidu();
    OV.enableProdMode();
    session = OV.initSession();
    session.on('connectionCreated', (e) => push({ type: 'connectionCreated', connectionId: e.connection.connectionId, data: e.connection.data }));
    session.on('connectionDestroyed', (e) => push({ type: 'connectionDestroyed', connectionId: e.connection.connectionId, reason: e.reason }));
    session.on('streamCreated', (e) => {
      const s = e.stream;
      push({
        type: 'streamCreated',
        connectionId: s.connection.connectionId,
        streamId: s.streamId,
        typeOfVideo: s.typeOfVideo,
        hasAudio: s.hasAudio,
        hasVideo: s.hasVideo,
        audioActive: s.audioActive,
        videoActive: s.videoActive,
      });
      const video = document.createElement('video');
      video.autoplay = true;
      video.muted = true;
      video.playsInline = true;
      video.dataset.connectionId = s.connection.connectionId;
      document.getElementById('videos').appendChild(video);
      const subscriber = session.subscribe(s, undefined);
      subscriber.addVideoElement(video);
      // First presented frame, for time-to-first-frame measurements.
      video.requestVideoFrameCallback(() => push({ type: 'firstFrame', connectionId: s.connection.connectionId }));
      subscribers.set(s.connection.connectionId, { subscriber, video, streamId: s.streamId });
    });
    session.on('streamDestroyed', (e) => {
      const id = e.stream.connection.connectionId;
      push({ type: 'streamDestroyed', connectionId: id, streamId: e.stream.streamId, reason: e.reason });
      const sub = subscribers.get(id);
      if (sub) {
        sub.video.remove();
        subscribers.delete(id);
      }
    });
    session.on('streamPropertyChanged', (e) =>
      push({
        type: 'streamPropertyChanged',
        connectionId: e.stream.connection.connectionId,
        property: e.changedProperty,
        newValue: e.newValue,
        reason: e.reason,
      }),
    );
    session.on('signal', (e) => push({ type: 'signal', signalType: e.type, data: e.data, from: e.from ? e.from.connectionId : null }));
    session.on('sessionDisconnected', (e) => push({ type: 'sessionDisconnected', reason: e.reason }));
    session.on('reconnecting', () => push({ type: 'reconnecting' }));
    session.on('reconnected', () => push({ type: 'reconnected' }));
    session.on('recordingStarted', (e) => push({ type: 'recordingStarted', id: e.id, name: e.name }));
    session.on('recordingStopped', (e) => push({ type: 'recordingStopped', id: e.id, name: e.name, reason: e.reason }));
    session.on('exception', (e) => push({ type: 'exception', name: e.name, message: e.message }));
    await session.connect(token, clientData);
    return { connectionId: session.connection.connectionId, role: session.connection.role, data: session.connection.data };
  };

  window.ovPublish = async (opts = {}) => {
    publisher = await OV.initPublisherAsync(undefined, {
      audioSource: opts.audio === false ? false : undefined,
      videoSource: opts.video === false ? false : opts.screen ? 'screen' : undefined,
      publishAudio: opts.publishAudio !== false,
      publishVideo: opts.publishVideo !== false,
      resolution: opts.resolution || '320x240',
      frameRate: opts.frameRate || 15,
      insertMode: 'APPEND',
      mirror: false,
    });
    publisher.on('streamDestroyed', (e) => push({ type: 'publisherStreamDestroyed', reason: e.reason }));
    await session.publish(publisher);
    return publisher.stream.streamId;
  };

  window.ovUnpublish = async () => {
    await session.unpublish(publisher);
  };
  window.ovMute = (kind, on) => {
    if (kind === 'audio') publisher.publishAudio(on);
    else publisher.publishVideo(on);
  };
  window.ovSignal = (opts) =>
    session.signal({
      type: opts.type,
      data: opts.data,
      to: opts.to ? opts.to.map((id) => session.remoteConnections.get(id) || session.connection) : undefined,
    });
  window.ovLeave = async () => {
    session.disconnect();
  };
  window.ovForceDisconnect = (connectionId) => session.forceDisconnect(session.remoteConnections.get(connectionId));
  window.ovUnsubscribe = (connectionId) => {
    const sub = subscribers.get(connectionId);
    if (!sub) throw new Error('not subscribed to ' + connectionId);
    session.unsubscribe(sub.subscriber);
    sub.video.remove();
    subscribers.delete(connectionId);
  };

  /** Per remote connection: the <video> size and decoded frames from getStats (inbound video). */
  window.ovRemoteVideo = async () => {
    const out = {};
    for (const [id, sub] of subscribers) {
      let framesDecoded = 0;
      let audioSamples = 0;
      const pc = sub.subscriber.stream.getRTCPeerConnection && sub.subscriber.stream.getRTCPeerConnection();
      if (pc) {
        const stats = await pc.getStats();
        stats.forEach((r) => {
          if (r.type === 'inbound-rtp' && r.kind === 'video') framesDecoded = r.framesDecoded || 0;
          if (r.type === 'inbound-rtp' && r.kind === 'audio') audioSamples = r.totalSamplesReceived || 0;
        });
      }
      out[id] = { videoWidth: sub.video.videoWidth, videoHeight: sub.video.videoHeight, framesDecoded, audioSamples, streamId: sub.streamId };
    }
    return out;
  };
  // OpenViduError does not survive page.evaluate's serialisation: rethrow as "NAME: message".
  for (const key of Object.keys(window).filter((k) => k.startsWith('ov') && typeof window[k] === 'function')) {
    const fn = window[key];
    window[key] = async (...args) => {
      try {
        return await fn(...args);
      } catch (e) {
        throw new Error(`${(e && e.name) || 'Error'}: ${(e && e.message) || e}`);
      }
    };
  }
  window.ovPublisherState = () =>
    publisher ? { streamId: publisher.stream.streamId, audioActive: publisher.stream.audioActive, videoActive: publisher.stream.videoActive } : null;
})();
