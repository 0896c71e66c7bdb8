/**
 * The function app's own handlers: what a client's Web PubSub user event, Web PubSub invocation
 * (`invokeEvent`) or SignalR hub method call does. One registry serves all three, so a handler
 * written once answers `client.invokeEvent("name", …)`, `client.sendEvent("name", …)` and
 * `connection.invoke("name", …)` alike. The handlers themselves live in `functions/app-handlers.ts`.
 */
import type { GrantPolicy } from "./grant-policy";
import type { RealtimeService } from "./realtime-service";

/** A payload with its type, as Web PubSub carries it. */
export type AppValue = { dataType: "json"; value: unknown } | { dataType: "text"; value: string } | { dataType: "binary"; value: Buffer };

export interface AppRequest {
  /** The event's or method's name as the client sent it. */
  name: string;
  /**
   * The payload: a Web PubSub event's data with its type (absent when the client sent none), or
   * a SignalR call's first argument as JSON.
   */
  data: AppValue | undefined;
  /** A SignalR call's arguments; for Web PubSub, the payload's value alone (or none). */
  arguments: readonly unknown[];
}

export interface AppContext {
  /** Which service the call came through. */
  service: "webpubsub" | "signalr";
  hub: string;
  connectionId: string;
  userId: string | null;
  /** The hub's service client: send messages, manage groups, read presence. */
  realtime: RealtimeService;
  /** The app's group and role policy (AllowedGroups, DefaultGroups, …), the rules negotiate applies. */
  grants: GrantPolicy;
  log(message: string): void;
}

/**
 * One handler. Its answer goes back to the caller: the result of an invocation (Web PubSub
 * `invokeEvent`, a SignalR `invoke`), or a message to the sender for a Web PubSub `sendEvent`.
 * `undefined` answers nothing (a void method). Throwing `AppError` fails the call with its message.
 */
export type AppHandler = (request: AppRequest, context: AppContext) => AppValue | undefined | Promise<AppValue | undefined>;

/** Handlers by name; names match case-insensitively. */
export type AppHandlers = Readonly<Record<string, AppHandler>>;

/** The handler for `name`, or undefined: looked up without regard to case, own names only. */
export function findAppHandler(handlers: AppHandlers, name: string): AppHandler | undefined {
  const wanted = name.toLowerCase();
  for (const key of Object.keys(handlers)) if (key.toLowerCase() === wanted) return handlers[key];
  return undefined;
}

/** A JSON answer. */
export function json(value: unknown): AppValue {
  return { dataType: "json", value };
}

/** A text answer. */
export function text(value: string): AppValue {
  return { dataType: "text", value };
}

/** The answer as HTTP body bytes and Content-Type, as a Web PubSub event handler returns it. */
export function encodeAppValue(value: AppValue): { body: Buffer; contentType: string } {
  switch (value.dataType) {
    case "json":
      return { body: Buffer.from(JSON.stringify(value.value ?? null), "utf8"), contentType: "application/json" };
    case "text":
      return { body: Buffer.from(value.value, "utf8"), contentType: "text/plain; charset=utf-8" };
    case "binary":
      return { body: value.value, contentType: "application/octet-stream" };
    default: {
      const _never: never = value;
      return _never;
    }
  }
}

/** The answer as one SignalR completion value: JSON as is, text as a string, binary as base64. */
export function appValueResult(value: AppValue): unknown {
  switch (value.dataType) {
    case "json":
    case "text":
      return value.value;
    case "binary":
      return value.value.toString("base64");
    default: {
      const _never: never = value;
      return _never;
    }
  }
}
