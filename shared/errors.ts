/**
 * The one catalogue of errors the function app returns. Every HTTP error leaves as
 * `{ code, message }` JSON with the catalogue's status; `toErrorResponse` is the only mapping.
 */
export const errorCatalogue = {
  MissingTarget: { status: 400, message: "Give exactly one target: ?userId=, ?connectionId= or ?group=." },
  TooManyTargets: { status: 400, message: "Give exactly one target: ?userId=, ?connectionId= or ?group=, not several." },
  InvalidQuery: { status: 400, message: "A query parameter is not valid here." },
  InvalidJson: { status: 400, message: "The body is not valid JSON." },
  InvalidText: { status: 400, message: "The body is not valid UTF-8 text." },
  EmptyBody: { status: 400, message: "The message body is empty." },
  InvalidGroupName: { status: 400, message: "A group name must be 1-1024 characters, not only whitespace, and not . or .." },
  InvalidUserId: { status: 400, message: "A userId must be 1-1024 characters without control characters, and not . or .." },
  InvalidConnectionId: { status: 400, message: "A connectionId must be 1-1024 characters without control characters, and not . or .." },
  InvalidTtl: { status: 400, message: "The messageTtlSeconds parameter must be an integer from 0 to 300." },
  InvalidRole: { status: 400, message: "A role must be a Web PubSub role such as webpubsub.joinLeaveGroup.<group>." },
  UnsupportedOption: { status: 400, message: "The configured realtime service does not support an option of this request." },
  InvalidUpstreamRequest: { status: 400, message: "The request is not a SignalR upstream request." },
  InvalidCloudEvent: { status: 400, message: "The request is not a Web PubSub CloudEvent." },
  Unauthenticated: { status: 401, message: "The caller is not authenticated." },
  UpstreamSignatureMismatch: { status: 401, message: "The X-ASRS-Signature header does not match the configured access key." },
  InvalidSignature: { status: 403, message: "The ce-signature header does not match the configured access key." },
  GroupNotAllowed: { status: 403, message: "A requested group is not in the allow-list." },
  RoleNotAllowed: { status: 403, message: "A requested role is not in the allow-list." },
  ConnectionNotFound: { status: 404, message: "The connection does not exist." },
  UserNotFound: { status: 404, message: "The user has no connection." },
  GroupNotFound: { status: 404, message: "The group has no connection." },
  WebAssetNotFound: { status: 404, message: "No such file in the web test client." },
  UnknownEvent: { status: 404, message: "The function app has no handler for this event or method." },
  PayloadTooLarge: { status: 413, message: "The body is larger than 1,048,576 bytes." },
  UnsupportedContentType: {
    status: 415,
    message: "Content-Type must be application/json, text/plain or application/octet-stream.",
  },
  InternalError: { status: 500, message: "The function failed unexpectedly." },
  InvalidSetting: { status: 500, message: "An app setting is not valid." },
  ServiceRejectedInput: { status: 400, message: "Web PubSub refused a value of the request." },
  ServiceNotFound: { status: 404, message: "Web PubSub has no such connection, user or group." },
  ServiceError: { status: 502, message: "Web PubSub refused the request." },
  ServiceUnreachable: { status: 502, message: "Web PubSub could not be reached." },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof errorCatalogue;

/** An expected failure with a stable code; `details` are extra JSON fields for the body. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCode, message?: string, details: Record<string, unknown> = {}) {
    super(message ?? errorCatalogue[code].message);
    this.name = "AppError";
    this.code = code;
    this.status = errorCatalogue[code].status;
    this.details = Object.freeze({ ...details });
  }
}

export interface ErrorBody {
  code: ErrorCode;
  message: string;
  [detail: string]: unknown;
}

/** Structurally an `HttpResponseInit`, so triggers can return it as is. */
export interface ErrorResponse {
  status: number;
  jsonBody: ErrorBody;
}

/** Maps any thrown value to a response; unknown errors become a 500 with no internals. */
export function toErrorResponse(error: unknown): ErrorResponse {
  const appError = error instanceof AppError ? error : new AppError("InternalError");
  return {
    status: appError.status,
    jsonBody: { code: appError.code, message: appError.message, ...withoutCodeAndMessage(appError.details) },
  };
}

function withoutCodeAndMessage(details: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const { code: _code, message: _message, ...rest } = details;
  return rest;
}
