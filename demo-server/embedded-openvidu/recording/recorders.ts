import type { RecorderFactory } from './types.js';

/**
 * The default recorder factory: INDIVIDUAL or COMPOSED as the recording's properties say. Recorders load on first
 * use: a server that never records never touches ffmpeg.
 */
export const defaultRecorderFactory: RecorderFactory = async ({ record, dir, session, ffmpegPath, host, log }) => {
  const p = record.properties;
  if (p.outputMode === 'INDIVIDUAL') {
    const { IndividualRecorder } = await import('./individual-recorder.js');
    return new IndividualRecorder({
      dir,
      fileBase: record.name,
      ffmpegPath,
      hasAudio: p.hasAudio,
      hasVideo: p.hasVideo,
      recordingId: record.id,
      sessionId: record.sessionId,
      createdAt: record.createdAt,
      log,
      describe: (streamId: string) => {
        const c = session.connections.get(streamId.slice(streamId.lastIndexOf('con_')));
        return { clientData: c?.clientData ?? '', serverData: c?.serverData ?? '', typeOfVideo: c?.publisher?.media.typeOfVideo ?? 'CAMERA' };
      },
    });
  }
  const [width, height] = p.resolution.split('x').map(Number);
  const { ComposedRecorder } = await import('./composed-recorder.js');
  return new ComposedRecorder({
    dir,
    fileBase: record.name,
    width,
    height,
    frameRate: p.frameRate,
    hasAudio: p.hasAudio,
    hasVideo: p.hasVideo,
    ffmpegPath,
    host,
    log,
  });
};
