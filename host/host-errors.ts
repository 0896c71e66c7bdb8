/**
 * The local host's own errors (everything a function's handler does not answer itself), mapped
 * to a JSON `{ code, message }` response in exactly one place: `writeHostError`.
 */
import type { ServerResponse } from "node:http";

export const hostErrors = {
  RouteNotFound: { status: 404, message: "No function matches this path." },
  MethodNotAllowed: { status: 405, message: "The function at this path does not accept this method." },
  FunctionKeyRequired: { status: 401, message: "This function needs a function key: send it as the x-functions-key header or ?code=." },
  RequestTooLarge: { status: 413, message: "The request body is larger than the host accepts." },
  BadRequestPath: { status: 400, message: "The request path could not be decoded." },
  CorsOriginNotAllowed: { status: 403, message: "This origin is not in the host's CORS settings." },
  FunctionFailed: { status: 500, message: "The function threw an error; see the host's log." },
} as const satisfies Record<string, { status: number; message: string }>;

export type HostErrorCode = keyof typeof hostErrors;

export function writeHostError(res: ServerResponse, code: HostErrorCode, extraHeaders: Record<string, string> = {}): void {
  const { status, message } = hostErrors[code];
  const body = JSON.stringify({ code, message });
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(status, {
    ...extraHeaders,
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(body),
  });
  res.end(body);
}
