import type { ServerResponse } from "node:http";

/**
 * Every error the REST data plane returns, with its HTTP status and stable `code`.
 * Responses carry `ErrorDetail` JSON `{ code, message }` and the `x-ms-error-code` header;
 * `toErrorResponse` is the one place that maps an error to HTTP.
 */
export const REST_ERRORS = {
  MissingToken: { status: 401, message: "Authorization: Bearer <token> header is required." },
  InvalidToken: { status: 401, message: "The access token is invalid." },
  RouteNotFound: { status: 404, message: "No REST operation matches this path." },
  MethodNotAllowed: { status: 405, message: "This path does not support the method." },
  InvalidPathEncoding: { status: 400, message: "A path segment is not valid percent-encoding." },
  InvalidHubName: { status: 400, message: "Invalid hub name." },
  InvalidGroupName: { status: 400, message: "Invalid group name." },
  InvalidUserId: { status: 400, message: "Invalid user id." },
  InvalidConnectionId: { status: 400, message: "Invalid connection id." },
  InvalidPermission: { status: 400, message: "Invalid permission." },
  InvalidQueryParameter: { status: 400, message: "Invalid query parameter." },
  InvalidFilter: { status: 400, message: "Invalid filter." },
  InvalidContinuationToken: { status: 400, message: "Invalid continuation token." },
  InvalidRequestBody: { status: 400, message: "Invalid request body." },
  InvalidJson: { status: 400, message: "The body is not valid JSON." },
  PayloadTooLarge: { status: 413, message: "The request body is too large." },
  UnsupportedMediaType: { status: 415, message: "Unsupported content type." },
  ConnectionNotFound: { status: 404, message: "The connection does not exist." },
  InternalServerError: { status: 500, message: "The service failed to process the request." },
} as const satisfies Record<string, { status: number; message: string }>;

export type RestErrorCode = keyof typeof REST_ERRORS;

/** An error with its own HTTP status; `code` is a catalogue code or a quota refusal's code. */
export class RestHttpError extends Error {
  override readonly name = "RestHttpError";
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** A catalogued error; `message` replaces the default sentence when a more precise one is known. */
export function restError(code: RestErrorCode, message: string = REST_ERRORS[code].message): RestHttpError {
  return new RestHttpError(REST_ERRORS[code].status, code, message);
}

/** Maps anything thrown by an operation to a response; unknown errors become a 500 without details. */
export function toErrorResponse(error: unknown): RestHttpError {
  return error instanceof RestHttpError ? error : restError("InternalServerError");
}

export function writeError(res: ServerResponse, error: RestHttpError, extraHeaders: Record<string, string> = {}): void {
  const body = JSON.stringify({ code: error.code, message: error.message });
  res.writeHead(error.status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(body),
    "x-ms-error-code": error.code,
    ...extraHeaders,
  });
  res.end(body);
}
