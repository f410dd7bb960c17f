import { HttpError } from '../errors.js';
import { RECORDING_NAME_RE } from '../ids.js';
import type { RecordingProperties } from '../model.js';
import { field } from './http-util.js';

const OUTPUT_MODES = ['COMPOSED', 'COMPOSED_QUICK_START', 'INDIVIDUAL'] as const;
const LAYOUTS = ['BEST_FIT', 'PICTURE_IN_PICTURE', 'VERTICAL_PRESENTATION', 'HORIZONTAL_PRESENTATION', 'CUSTOM'] as const;
const RESOLUTION_RE = /^([1-9]\d{2,3})x([1-9]\d{2,3})$/;

/**
 * Recording properties from a request, falling back to `base` (protocol §6.3 statuses: 400 shape, 422 values).
 * `isStart`: a `POST /recordings/start` body, whose `base` is the session's defaults. In CE-strict mode a start
 * also gets CE's quirk of `RecordingProperties.fromJson`: COMPOSED and COMPOSED_QUICK_START follow the session's
 * default (asking for one on a session whose default is the other gives the default).
 */
export function recordingProperties(b: Record<string, unknown>, base: RecordingProperties, isStart: boolean, ceStrict = false): RecordingProperties {
  const name = field.str(b, 'name', { max: 256 });
  if (name && !RECORDING_NAME_RE.test(name)) throw new HttpError(400, 'Parameter "name" is wrong. Must be an alphanumeric string [a-zA-Z0-9_-~]+');
  const p: RecordingProperties = {
    name: name ?? (isStart ? '' : base.name),
    hasAudio: field.bool(b, 'hasAudio') ?? base.hasAudio,
    hasVideo: field.bool(b, 'hasVideo') ?? base.hasVideo,
    outputMode: (field.str(b, 'outputMode', { enum: OUTPUT_MODES }) as RecordingProperties['outputMode']) ?? base.outputMode,
    recordingLayout: (field.str(b, 'recordingLayout', { enum: LAYOUTS }) as RecordingProperties['recordingLayout']) ?? base.recordingLayout,
    resolution: field.str(b, 'resolution', { max: 16 }) ?? base.resolution,
    frameRate: field.int(b, 'frameRate') ?? base.frameRate,
    shmSize: field.int(b, 'shmSize') ?? base.shmSize,
    customLayout: field.str(b, 'customLayout', { max: 256 }) ?? base.customLayout,
    ignoreFailedStreams: field.bool(b, 'ignoreFailedStreams') ?? base.ignoreFailedStreams,
  };
  const res = RESOLUTION_RE.exec(p.resolution);
  if (!res || +res[1] > 1999 || +res[2] > 1999)
    throw new HttpError(422, 'Wrong "resolution" parameter. Acceptable values from 100 to 1999 for both width and height');
  if (p.frameRate < 1 || p.frameRate > 120) throw new HttpError(422, 'Wrong "frameRate" parameter. Acceptable values are [1,120]');
  if (p.shmSize < 134217728) throw new HttpError(422, 'Wrong "shmSize" parameter. Must be 134217728 (128 MB) minimum');
  if (!p.hasAudio && !p.hasVideo) throw new HttpError(422, 'Cannot start a recording with both "hasAudio" and "hasVideo" set to false');
  if (ceStrict && isStart) {
    if (base.outputMode === 'COMPOSED_QUICK_START' && p.outputMode === 'COMPOSED') p.outputMode = 'COMPOSED_QUICK_START';
    else if (base.outputMode === 'COMPOSED' && p.outputMode === 'COMPOSED_QUICK_START') p.outputMode = 'COMPOSED';
  }
  return p;
}
