import { AppError } from "../errors";
import type { MessagePayload } from "../message-payload";
import type { SendOptions } from "../send-request";

/** What every client of the hub receives: `connection.on(target, (...arguments) => …)`. */
export interface HubInvocation {
  target: string;
  arguments: unknown[];
}

/** The client method a message invokes when `?target=` is not given. */
export const defaultClientMethod = "newMessage";

/**
 * A send body as a hub invocation: a JSON body is the single argument, text is one string
 * argument. Binary has no JSON form in the REST API, and the options SignalR lacks are refused
 * by name rather than dropped.
 */
export function toHubInvocation(payload: MessagePayload, options: Pick<SendOptions, "clientMethod" | "filter" | "messageTtlSeconds">): HubInvocation {
  if (options.filter !== undefined) throw unsupported("filter", "?filter= is not supported by Azure SignalR Service (it has no OData filters); send to a user, a connection or a group instead.");
  if (options.messageTtlSeconds !== undefined) {
    throw unsupported("messageTtlSeconds", "?messageTtlSeconds= is not supported by Azure SignalR Service (messages are not kept for absent clients); leave it out.");
  }
  const target = options.clientMethod ?? defaultClientMethod;
  switch (payload.dataType) {
    case "json":
      return { target, arguments: [payload.value] };
    case "text":
      return { target, arguments: [payload.text] };
    case "binary":
      throw new AppError(
        "UnsupportedContentType",
        "Azure SignalR Service delivers hub invocations with JSON arguments: send application/json or text/plain, not application/octet-stream.",
      );
    default: {
      const _never: never = payload;
      throw new Error(`unknown payload ${JSON.stringify(_never)}`);
    }
  }
}

export function unsupported(option: string, message: string): AppError {
  return new AppError("UnsupportedOption", message, { option });
}
