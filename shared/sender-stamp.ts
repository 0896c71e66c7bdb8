import type { IdentityConfig } from "./config";
import { AppError } from "./errors";
import { resolveIdentity, type IdentityRequest } from "./identity";
import type { MessagePayload } from "./message-payload";
import { validateUserId } from "./names";

/**
 * Opt-in `?stamp=sender` on send and broadcast: a message the service delivers from the server
 * says only "server", so the app wraps it in JSON naming who asked for it and which function
 * host it came through. Receivers unwrap `{ sentBy: { userId, via }, dataType, data }`
 * (binary data travels as base64). Pure: the trigger passes the request in.
 */
export interface SenderStamp {
  /** The caller, where the app knows it; null when an anonymous caller did not say. */
  userId: string | null;
  /** The function host the request reached, e.g. `localhost:7072`. */
  via: string;
}

/** True when the query asks for a stamp; any value but `sender` is a mistake, not ignored. */
export function wantsSenderStamp(query: URLSearchParams): boolean {
  const value = query.get("stamp");
  if (value === null) return false;
  if (value !== "sender") throw new AppError("InvalidQuery", `?stamp= takes "sender" (wrap the message with who sent it), got ${JSON.stringify(value)}.`);
  return true;
}

/**
 * Who is sending. Signed-in modes take the identity they check (401 when it fails); the anonymous
 * mode trusts `?from=`, as its negotiate trusts `?userId=`, and knows nobody without it.
 */
export function stampSender(identity: IdentityConfig, request: IdentityRequest & { url: string }): SenderStamp {
  const via = new URL(request.url).host;
  if (identity.mode === "anonymous") {
    const from = request.query.get("from");
    return { userId: from === null ? null : validateUserId(from), via };
  }
  return { userId: resolveIdentity(identity, request).userId, via };
}

/** The stamped message: always JSON, holding the original data type and data. */
export function stampPayload(payload: MessagePayload, stamp: SenderStamp): MessagePayload {
  const data = payload.dataType === "json" ? payload.value : payload.dataType === "text" ? payload.text : payload.data.toString("base64");
  const value = { sentBy: { userId: stamp.userId, via: stamp.via }, dataType: payload.dataType, data };
  return { dataType: "json", value, bytes: Buffer.byteLength(JSON.stringify(value)) };
}
