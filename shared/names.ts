import { AppError } from "./errors";
import { maxMessageTtlSeconds, maxNameLength } from "./limits";

// eslint-disable-next-line no-control-regex
const controlCharacters = /[\u0000-\u001f\u007f]/;

/**
 * `.` and `..` are path segments that the SDK's HTTP client resolves away before sending
 * (`groups/../connections/c1` becomes `connections/c1`), so such a name would reach another
 * route of the service: no name may be one.
 */
const dotSegment = /^\.\.?$/;

/** Group names follow the REST API: 1-1024 characters, not only whitespace; and not `.` or `..`. */
export function validateGroupName(group: string): string {
  if (group.length === 0 || group.length > maxNameLength || group.trim().length === 0 || dotSegment.test(group)) {
    throw new AppError("InvalidGroupName", `Group name ${JSON.stringify(truncate(group))} is not valid: a group name must be 1-1024 characters, not only whitespace, and not . or ..`);
  }
  return group;
}

/** The spec only asks for one character; the app also caps length and refuses control characters. */
export function validateUserId(userId: string): string {
  if (!isPlainName(userId)) {
    throw new AppError("InvalidUserId", `userId ${JSON.stringify(truncate(userId))} is not valid: it must be 1-1024 characters without control characters, and not . or ..`);
  }
  return userId;
}

export function validateConnectionId(connectionId: string): string {
  if (!isPlainName(connectionId)) {
    throw new AppError("InvalidConnectionId", `connectionId ${JSON.stringify(truncate(connectionId))} is not valid: it must be 1-1024 characters without control characters, and not . or ..`);
  }
  return connectionId;
}

/**
 * A SignalR client method name (`?target=`): what `connection.on(name)` registers. 1-128 characters,
 * no whitespace or control characters; the client matches it case-insensitively.
 */
export function validateClientMethod(method: string): string {
  // eslint-disable-next-line no-control-regex
  if (!/^[^\s\u0000-\u001f\u007f]{1,128}$/.test(method)) {
    throw new AppError("InvalidQuery", `?target= ${JSON.stringify(truncate(method))} is not a client method name: give 1-128 characters without spaces.`);
  }
  return method;
}

/** Parses `messageTtlSeconds`: decimal digits only, 0-300. */
export function parseMessageTtl(text: string): number {
  const value = /^\d{1,3}$/.test(text) ? Number(text) : Number.NaN;
  if (!(value >= 0 && value <= maxMessageTtlSeconds)) {
    throw new AppError("InvalidTtl", `messageTtlSeconds ${JSON.stringify(truncate(text))} is not valid: it must be an integer from 0 to 300.`);
  }
  return value;
}

function isPlainName(name: string): boolean {
  return name.length > 0 && name.length <= maxNameLength && !controlCharacters.test(name) && !dotSegment.test(name);
}

function truncate(text: string): string {
  return text.length > 64 ? `${text.slice(0, 64)}…` : text;
}
