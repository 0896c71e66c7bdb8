import { describe, expect, it } from "vitest";
import { planChatRelay } from "../../shared/chat-relay";
import { decodeConnectionState, encodeConnectionState, parseCloudEvent, readCloudEventContext } from "../../shared/cloud-events-request";
import { decideConnect } from "../../shared/connect-policy";
import { AppError } from "../../shared/errors";
import { parseEventsConfig } from "../../shared/events-config";
import type { GrantPolicy } from "../../shared/grant-policy";

const policy: GrantPolicy = { allowedGroups: ["room-*"], allowedRoles: ["webpubsub.sendToGroup.room-*"], defaultGroups: ["lobby"], defaultRoles: ["webpubsub.joinLeaveGroup.lobby"] };
const base = {
  "ce-awpsversion": "1.0",
  "webhook-request-origin": "localhost:8080",
  "ce-type": "azure.webpubsub.user.message",
  "ce-hub": "chat",
  "ce-connectionid": "c1",
  "ce-eventname": "message",
};
const headers = (values: Record<string, string>) => new Headers(values);
const appError = (fn: () => unknown): { code: string; status: number; message: string } => {
  try {
    fn();
  } catch (error) {
    if (error instanceof AppError) return { code: error.code, status: error.status, message: error.message };
  }
  throw new Error("expected an AppError");
};

describe("CloudEvents request parsing", () => {
  it("reads the context headers, with state decoded", () => {
    const state = encodeConnectionState({ counter: 2 });
    expect(readCloudEventContext(headers({ ...base, "ce-userid": "u1", "ce-connectionstate": state }))).toEqual({
      type: "azure.webpubsub.user.message",
      hub: "chat",
      connectionId: "c1",
      eventName: "message",
      userId: "u1",
      origin: "localhost:8080",
      states: { counter: 2 },
    });
  });

  it.each([
    { name: "no ce-awpsversion", drop: "ce-awpsversion", message: "Not a Web PubSub CloudEvent: the ce-awpsversion header is missing." },
    { name: "no origin", drop: "webhook-request-origin", message: "Not a Web PubSub CloudEvent: the WebHook-Request-Origin header is missing." },
    { name: "no hub", drop: "ce-hub", message: "Not a Web PubSub CloudEvent: the ce-hub header is missing." },
    { name: "no connection id", drop: "ce-connectionid", message: "Not a Web PubSub CloudEvent: the ce-connectionid header is missing." },
  ])("refuses $name with 400", ({ drop, message }) => {
    const values: Record<string, string> = { ...base };
    delete values[drop];
    expect(appError(() => readCloudEventContext(headers(values)))).toEqual({ code: "InvalidCloudEvent", status: 400, message });
  });

  it("types each event; unknown system events are ignored", () => {
    const context = readCloudEventContext(headers(base));
    expect(parseCloudEvent({ ...context, type: "azure.webpubsub.sys.disconnected" }, "application/json", Buffer.from('{"reason":"bye"}'))).toMatchObject({ kind: "disconnected", reason: "bye" });
    expect(parseCloudEvent({ ...context, type: "azure.webpubsub.sys.connect" }, "application/json", Buffer.from('{"claims":{"sub":"u"},"query":{"a":["1"]}}'))).toMatchObject({
      kind: "connect",
      body: { claims: { sub: ["u"] }, query: { a: ["1"] }, headers: {}, subprotocols: [] },
    });
    expect(parseCloudEvent(context, "text/plain; charset=utf-8", Buffer.from("hi"))).toMatchObject({ kind: "user", dataType: "text" });
    expect(parseCloudEvent({ ...context, type: "azure.webpubsub.gp.joined" }, "application/json", Buffer.from('{"group":"lobby"}'))).toMatchObject({ kind: "joined", group: "lobby" });
    expect(parseCloudEvent({ ...context, type: "azure.webpubsub.gp.left" }, "application/json", Buffer.from('{"group":"lobby"}'))).toMatchObject({ kind: "left", group: "lobby" });
    expect(appError(() => parseCloudEvent({ ...context, type: "azure.webpubsub.gp.joined" }, "application/json", Buffer.from("{}")))).toMatchObject({ code: "InvalidCloudEvent" });
    expect(parseCloudEvent({ ...context, type: "azure.webpubsub.sys.somethingNew" }, "application/json", Buffer.from("{}"))).toBeUndefined();
    expect(appError(() => parseCloudEvent(context, "image/png", Buffer.from("x")))).toMatchObject({ code: "InvalidCloudEvent", status: 400 });
    expect(appError(() => parseCloudEvent({ ...context, type: "azure.webpubsub.sys.connect" }, "application/json", Buffer.from("[")))).toMatchObject({ code: "InvalidCloudEvent" });
  });

  it("tolerates a malformed connection state", () => {
    expect(decodeConnectionState("%%%")).toEqual({});
    expect(decodeConnectionState(Buffer.from("[1]").toString("base64"))).toEqual({});
  });
});

describe("connect policy", () => {
  it.each([
    { name: "adds the default group, keeps roles when the token has some", userId: "u", claims: { "webpubsub.group": ["room-1"], role: ["webpubsub.sendToGroup.room-1"] }, decision: { allowed: true, response: { groups: ["lobby"], roles: ["webpubsub.joinLeaveGroup.lobby", "webpubsub.sendToGroup.room-1"] } } },
    { name: "no roles in the token: roles untouched", userId: "u", claims: {}, decision: { allowed: true, response: { groups: ["lobby"] } } },
    { name: "default group already in the token", userId: "u", claims: { "webpubsub.group": ["lobby"] }, decision: { allowed: true, response: {} } },
  ])("$name", ({ userId, claims, decision }) => {
    expect(decideConnect(policy, userId, claims as Record<string, string[]>)).toEqual(decision);
  });

  it.each([
    { name: "no userId", userId: null, claims: {}, code: "Unauthenticated", status: 401 },
    { name: "group outside the allow-list", userId: "u", claims: { "webpubsub.group": ["secret"] }, code: "GroupNotAllowed", status: 403 },
    { name: "role outside the allow-list", userId: "u", claims: { role: ["webpubsub.joinLeaveGroup"] }, code: "RoleNotAllowed", status: 403 },
  ])("refuses $name", ({ userId, claims, code, status }) => {
    const decision = decideConnect(policy, userId, claims as Record<string, string[]>);
    expect(decision.allowed).toBe(false);
    if (!decision.allowed) expect([decision.error.code, decision.error.status]).toEqual([code, status]);
  });
});

describe("chat relay", () => {
  it.each([
    { name: "json to a group", dataType: "json", data: '{"group":"room-2","text":"hi"}', relay: { group: "room-2", message: { from: "u", text: "hi", group: "room-2" } } },
    { name: "json to everyone", dataType: "json", data: '{"text":"hi"}', relay: { group: undefined, message: { from: "u", text: "hi" } } },
    { name: "json string", dataType: "json", data: '"hi"', relay: { group: undefined, message: { from: "u", text: "hi" } } },
    { name: "plain text", dataType: "text", data: "hello there", relay: { group: undefined, message: { from: "u", text: "hello there" } } },
    { name: "text holding JSON", dataType: "text", data: '{"group":"lobby","text":"x"}', relay: { group: "lobby", message: { from: "u", text: "x", group: "lobby" } } },
  ] as const)("$name", ({ dataType, data, relay }) => {
    expect(planChatRelay(policy, "u", dataType, Buffer.from(data))).toEqual(relay);
  });

  it.each([
    { name: "binary", dataType: "binary", data: "x", code: "InvalidCloudEvent" },
    { name: "no text", dataType: "json", data: '{"group":"room-1"}', code: "InvalidCloudEvent" },
    { name: "json number", dataType: "json", data: "5", code: "InvalidCloudEvent" },
    { name: "blank group", dataType: "json", data: '{"group":" ","text":"x"}', code: "InvalidGroupName" },
    { name: "group not allowed", dataType: "json", data: '{"group":"secret","text":"x"}', code: "GroupNotAllowed" },
  ] as const)("refuses $name", ({ dataType, data, code }) => {
    expect(appError(() => planChatRelay(policy, "u", dataType, Buffer.from(data))).code).toBe(code);
  });
});

describe("events settings", () => {
  const app = { endpoint: "http://localhost:8080/", accessKey: "primary" };
  it("defaults the allowed origin to the service endpoint's host", () => {
    expect(parseEventsConfig({}, app)).toEqual({ allowedOrigins: ["localhost:8080"], accessKeys: ["primary"] });
  });
  it("accepts *, host:port and URLs, and a secondary key", () => {
    expect(parseEventsConfig({ EventHandlerAllowedOrigins: "*, Foo.webpubsub.azure.com, https://bar.example:8443/x", WebPubSubSecondaryAccessKey: "second" }, app)).toEqual({
      allowedOrigins: ["*", "foo.webpubsub.azure.com", "bar.example:8443"],
      accessKeys: ["primary", "second"],
    });
  });
  it("names the setting when an origin is malformed", () => {
    expect(appError(() => parseEventsConfig({ EventHandlerAllowedOrigins: "not an origin" }, app))).toEqual({
      code: "InvalidSetting",
      status: 500,
      message: 'App setting EventHandlerAllowedOrigins holds "not an origin"; give *, host[:port] or a URL.',
    });
  });
});
