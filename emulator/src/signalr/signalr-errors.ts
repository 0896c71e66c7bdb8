import { RestHttpError } from "../rest/rest-errors";

/**
 * Every error the SignalR REST data plane and client negotiate return. The code goes into the `ErrorDetail` body and
 * the `x-ms-error-code` header; the .NET SDK accepts an expected 404 (an existence check, a
 * missing connection) only when the header carries the code listed here.
 */
export const SIGNALR_REST_ERRORS = {
  "Error.Unauthorized": { status: 401, message: "The access token is missing or invalid." },
  "Error.RouteNotFound": { status: 404, message: "No REST operation matches this path." },
  "Error.MethodNotAllowed": { status: 405, message: "This path does not support the method." },
  "Error.InvalidHubName": { status: 400, message: "Invalid hub name: it must match ^[A-Za-z][A-Za-z0-9_`,.[\\]]{0,127}$." },
  "Error.InvalidApplicationName": { status: 400, message: "Invalid application name: it must match ^[A-Za-z][A-Za-z0-9_`,.[\\]]{0,127}$." },
  "Error.InvalidGroupName": { status: 400, message: "Invalid group name: 1 to 1024 characters, not only whitespace." },
  "Error.InvalidUserId": { status: 400, message: "Invalid user id: 1 to 1024 characters." },
  "Error.InvalidConnectionId": { status: 400, message: "Invalid connection id." },
  "Error.InvalidPathEncoding": { status: 400, message: "A path segment is not valid percent-encoding." },
  "Error.InvalidTtl": { status: 400, message: "The ttl must be a non-negative integer number of seconds." },
  "Error.InvalidRequestBody": { status: 400, message: "Message in request body is required." },
  "Error.PayloadTooLarge": { status: 413, message: "The request body is too large." },
  "Error.UnsupportedMediaType": { status: 415, message: "Send the message as application/json: {\"target\": ..., \"arguments\": [...]}." },
  "Warning.Connection.NotExisted": { status: 404, message: "The connection does not exist." },
  "Warning.User.NotExisted": { status: 404, message: "The user has no connection." },
  "Warning.Group.NotExisted": { status: 404, message: "The group has no connection." },
  "Info.User.NotInGroup": { status: 404, message: "The user is not in the group." },
  "Error.Connection.NotExisted": { status: 404, message: "The connection does not exist." },
  "Error.TooManyPendingConnections": { status: 429, message: "Too many negotiated connections are waiting for their WebSocket." },
  "Error.InternalServerError": { status: 500, message: "The service failed to process the request." },
} as const satisfies Record<string, { status: number; message: string }>;

export type SignalRRestErrorCode = keyof typeof SIGNALR_REST_ERRORS;

export function signalrError(code: SignalRRestErrorCode, message: string = SIGNALR_REST_ERRORS[code].message): RestHttpError {
  return new RestHttpError(SIGNALR_REST_ERRORS[code].status, code, message);
}
