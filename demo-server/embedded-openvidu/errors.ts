/** A JSON-RPC error as openvidu-browser expects it: `{code, message, data}`. Codes are OpenVidu's (protocol §2). */
export class RpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(message);
  }
}

export const RpcCodes = {
  TRANSPORT_ERROR: 102,
  USER_NOT_FOUND: 102,
  USER_NOT_STREAMING: 105,
  USER_ALREADY_STREAMING: 106,
  ROOM_NOT_FOUND: 202,
  SDP_ERROR: 302,
  UNAUTHORIZED: 401,
  SIGNAL_FORMAT_INVALID: 600,
  SIGNAL_TO_INVALID: 601,
  NOT_CONNECTED: 803,
  PRO_ONLY: 997,
  /** Not CE's (CE has no such limits): a per-connection bound was reached. JSON-RPC's server-error range. */
  LIMIT_EXCEEDED: -32000,
  RECONNECTION_ERROR: 40007,
  INVALID_PARAMS: -32602,
  METHOD_NOT_FOUND: -32601,
  PARSE_ERROR: -32700,
  INVALID_REQUEST: -32600,
} as const;

/** A REST error: OpenVidu answers many of them with an empty body; the node client only reads the status. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message = '',
    /** CE answers this one with an empty body: so does CE-strict mode (others get CE's error JSON anyway). */
    readonly bare = false,
  ) {
    super(message);
  }
}

/** An error CE 2.32 answers with its status only, no body. */
export const bareError = (status: number, message: string) => new HttpError(status, message, true);
