import { STATUS_CODES } from 'node:http';

/**
 * Every error the reference server answers: `{statusCode, error, message, code}`. Codes are stable strings
 * (`OV_<AREA>_<REASON>`) that the elements and host sites can switch on.
 */
export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  toJSON() {
    return { statusCode: this.statusCode, error: STATUS_CODES[this.statusCode] ?? 'Error', message: this.message, code: this.code };
  }
}

export const errors = {
  validation: (message: string) => new ApiError(400, 'OV_VALIDATION_FAILED', message),
  forbidden: () => new ApiError(403, 'OV_FORBIDDEN', 'You are not allowed to do this'),
  notFound: (what: string, id?: string) =>
    new ApiError(404, `OV_${what.toUpperCase()}_NOT_FOUND`, id ? `${what[0].toUpperCase()}${what.slice(1)} ${id} not found` : `${what} not found`),
  routeNotFound: () => new ApiError(404, 'OV_ROUTE_NOT_FOUND', 'No such route'),
  unavailable: () => new ApiError(503, 'OV_OPENVIDU_UNAVAILABLE', 'The video service is not reachable; try again shortly'),
  internal: () => new ApiError(500, 'OV_INTERNAL', 'Internal server error'),
};
