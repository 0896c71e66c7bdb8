import { describe, expect, it } from "vitest";
import { signConnectionId, verifyConnectionIdSignature } from "../../common/cloud-events-signature";
import { isOriginAllowed, parseAllowedOrigins } from "../../emulator/src/upstream/allowed-origins";
import { buildCloudEventHeaders, dataTypeForContentType } from "../../emulator/src/upstream/cloud-event-headers";
import { parseConnectResponse } from "../../emulator/src/upstream/connect-response";
import { expandUrlTemplate, findHandler, userEventMatches } from "../../emulator/src/upstream/event-handler-match";
import { starterSettingsDocument } from "../../emulator/src/upstream/settings-file";
import {
  handlersForHub,
  mergeUpstreamSettings,
  parseEventHandlerOption,
  parseUpstreamSettings,
  settingsFromHandlers,
  UpstreamSettingsError,
} from "../../emulator/src/upstream/upstream-settings";

const KEY = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH";

describe("ce-signature", () => {
  it("matches the known value for key ABCD…GH and connectionId c1", () => {
    const signature = signConnectionId([KEY], "c1");
    expect(signature).toBe("sha256=dd527c793428b58b71b037644217fc6bb0164a08513c39f37ac6c2cad55f9023");
    expect(signature.startsWith("sha256=dd527c79")).toBe(true);
    expect(signature.endsWith("9023")).toBe(true);
  });

  it("carries one value per key, primary first", () => {
    const both = signConnectionId([KEY, "secondary-key"], "c1");
    const parts = both.split(",");
    expect(parts).toHaveLength(2);
    expect(parts[0]).toBe(signConnectionId([KEY], "c1"));
    expect(parts[1]).toBe(signConnectionId(["secondary-key"], "c1"));
  });

  it.each([
    { name: "primary signature, primary key", header: signConnectionId([KEY], "c1"), keys: [KEY], ok: true },
    { name: "two values, second key configured", header: signConnectionId(["old", KEY], "c1"), keys: [KEY], ok: true },
    { name: "uppercase hex", header: signConnectionId([KEY], "c1").toUpperCase(), keys: [KEY], ok: true },
    { name: "wrong key", header: signConnectionId(["other"], "c1"), keys: [KEY], ok: false },
    { name: "other connection", header: signConnectionId([KEY], "c2"), keys: [KEY], ok: false },
    { name: "truncated", header: signConnectionId([KEY], "c1").slice(0, 20), keys: [KEY], ok: false },
    { name: "missing", header: undefined, keys: [KEY], ok: false },
    { name: "no sha256= prefix", header: signConnectionId([KEY], "c1").slice(7), keys: [KEY], ok: false },
    { name: "no keys configured", header: signConnectionId([KEY], "c1"), keys: [], ok: false },
  ])("verify: $name → $ok", ({ header, keys, ok }) => {
    expect(verifyConnectionIdSignature(header, keys, "c1")).toBe(ok);
  });
});

describe("CloudEvents headers", () => {
  it("builds the full CloudEvents header set for a user event", () => {
    const headers = buildCloudEventHeaders({
      event: { kind: "user", name: "message" },
      hub: "chat",
      connectionId: "c1",
      userId: "alice",
      subprotocol: "json.webpubsub.azure.v1",
      connectionState: "eyJhIjoxfQ==",
      id: "id-1",
      time: Date.UTC(2025, 0, 2, 3, 4, 5, 6),
      origin: "localhost:8080",
      accessKeys: [KEY],
      contentType: "text/plain",
    });
    expect(headers).toEqual({
      "ce-specversion": "1.0",
      "ce-awpsversion": "1.0",
      "ce-type": "azure.webpubsub.user.message",
      "ce-source": "/hubs/chat/client/c1",
      "ce-id": "id-1",
      "ce-time": "2025-01-02T03:04:05.006Z",
      "ce-hub": "chat",
      "ce-connectionId": "c1",
      "ce-eventName": "message",
      "ce-userId": "alice",
      "ce-subprotocol": "json.webpubsub.azure.v1",
      "ce-connectionState": "eyJhIjoxfQ==",
      "ce-signature": "sha256=dd527c793428b58b71b037644217fc6bb0164a08513c39f37ac6c2cad55f9023",
      "WebHook-Request-Origin": "localhost:8080",
      "Content-Type": "text/plain",
    });
  });

  it("leaves out userId, subprotocol and state when there are none", () => {
    const headers = buildCloudEventHeaders({
      event: { kind: "system", name: "connect" },
      hub: "chat",
      connectionId: "c1",
      userId: null,
      id: "x",
      time: 0,
      origin: "localhost:1",
      accessKeys: [KEY],
      contentType: "application/json",
    });
    expect(headers["ce-type"]).toBe("azure.webpubsub.sys.connect");
    expect(headers["ce-eventName"]).toBe("connect");
    expect(Object.keys(headers).filter((k) => ["ce-userId", "ce-subprotocol", "ce-connectionState"].includes(k))).toEqual([]);
  });

  it.each([
    ["application/json; charset=utf-8", "json"],
    ["text/plain; charset=utf-8", "text"],
    ["TEXT/PLAIN", "text"],
    ["application/octet-stream", "binary"],
    ["image/png", "binary"],
    [undefined, "binary"],
  ] as const)("response Content-Type %s → %s", (contentType, dataType) => {
    expect(dataTypeForContentType(contentType)).toBe(dataType);
  });
});

describe("abuse-protection origins", () => {
  it.each([
    { name: "star", header: "*", ok: true },
    { name: "exact", header: "localhost:8080", ok: true },
    { name: "case-insensitive", header: "LOCALHOST:8080", ok: true },
    { name: "comma-joined", header: "foo.webpubsub.azure.com, localhost:8080", ok: true },
    { name: "repeated headers", header: ["foo.webpubsub.azure.com", "localhost:8080"], ok: true },
    { name: "repeated with commas", header: ["a:1, b:2", "c:3,*"], ok: true },
    { name: "other port", header: "localhost:8081", ok: false },
    { name: "url instead of host", header: "http://localhost:8080", ok: false },
    { name: "missing", header: undefined, ok: false },
    { name: "empty", header: "", ok: false },
  ])("$name → $ok", ({ header, ok }) => {
    expect(isOriginAllowed(parseAllowedOrigins(header), "localhost:8080")).toBe(ok);
  });
});

describe("settings", () => {
  const document = {
    WebPubSub: {
      Hubs: {
        chat: {
          EventHandlers: [
            { UrlTemplate: "http://a/{hub}/{event}", SystemEvents: ["connect"], EventPattern: "message, Chat" },
            { UrlTemplate: "http://b/{event}", SystemEvents: ["connected", "disconnected"], EventPattern: "*" },
          ],
        },
        "*": { EventHandlers: [{ UrlTemplate: "http://fallback/", SystemEvents: [], EventPattern: "" }] },
      },
    },
  };

  it("parses the official emulator's shape, keys case-insensitive", () => {
    const settings = parseUpstreamSettings({ webpubsub: { hubs: { h: { eventHandlers: [{ urlTemplate: "http://x/", systemEvents: ["CONNECT"], eventPattern: " * " }] } } } });
    expect(settings.hubs).toEqual({ h: [{ urlTemplate: "http://x/", systemEvents: ["connect"], eventPattern: "*" }] });
    expect(Object.isFrozen(settings.hubs)).toBe(true);
  });

  it("treats a document without WebPubSub as no handlers", () => {
    expect(parseUpstreamSettings({ Logging: {} }).hubs).toEqual({});
  });

  it.each([
    { name: "Hubs not object", doc: { WebPubSub: { Hubs: [] } }, message: "settings: WebPubSub.Hubs must be an object." },
    { name: "handlers not array", doc: { WebPubSub: { Hubs: { h: { EventHandlers: {} } } } }, message: "settings: WebPubSub.Hubs.h.EventHandlers must be an array." },
    { name: "missing url", doc: { WebPubSub: { Hubs: { h: { EventHandlers: [{}] } } } }, message: "settings: WebPubSub.Hubs.h.EventHandlers[0].UrlTemplate must be a string." },
    { name: "relative url", doc: { WebPubSub: { Hubs: { h: { EventHandlers: [{ UrlTemplate: "/x" }] } } } }, message: 'settings: WebPubSub.Hubs.h.EventHandlers[0]: UrlTemplate "/x" is not an absolute URL.' },
    { name: "ftp url", doc: { WebPubSub: { Hubs: { h: { EventHandlers: [{ UrlTemplate: "ftp://x/" }] } } } }, message: 'settings: WebPubSub.Hubs.h.EventHandlers[0]: UrlTemplate must use http or https, got "ftp:".' },
    { name: "unknown system event", doc: { WebPubSub: { Hubs: { h: { EventHandlers: [{ UrlTemplate: "http://x/", SystemEvents: ["typing"] }] } } } }, message: 'settings: WebPubSub.Hubs.h.EventHandlers[0]: unknown system event "typing" (expected connect, connected, disconnected, joined, left).' },
  ])("refuses $name with a clear message", ({ doc, message }) => {
    expect(() => parseUpstreamSettings(doc)).toThrow(new UpstreamSettingsError(message));
  });

  it("first matching handler wins; user patterns are case-insensitive", () => {
    const settings = parseUpstreamSettings(document);
    const chat = handlersForHub(settings, "CHAT");
    expect(findHandler(chat, { kind: "system", name: "connect" })?.urlTemplate).toBe("http://a/{hub}/{event}");
    expect(findHandler(chat, { kind: "system", name: "connected" })?.urlTemplate).toBe("http://b/{event}");
    expect(findHandler(chat, { kind: "user", name: "chat" })?.urlTemplate).toBe("http://a/{hub}/{event}");
    expect(findHandler(chat, { kind: "user", name: "other" })?.urlTemplate).toBe("http://b/{event}");
    const other = handlersForHub(settings, "other");
    expect(other.map((h) => h.urlTemplate)).toEqual(["http://fallback/"]);
    expect(findHandler(other, { kind: "user", name: "message" })).toBeUndefined();
    expect(findHandler(other, { kind: "system", name: "connect" })).toBeUndefined();
  });

  it.each([
    ["*", "anything", true],
    ["message", "MESSAGE", true],
    ["a,b , c", "c", true],
    ["a,b", "ab", false],
    ["", "message", false],
    [" , ", "", false],
  ] as const)("pattern %j vs %j → %s", (pattern, name, ok) => {
    expect(userEventMatches(pattern, name)).toBe(ok);
  });

  it("expands {hub} and {event}, URL-encoded", () => {
    expect(expandUrlTemplate("http://h/api/{hub}/{Event}?e={event}", "my hub", "a/b")).toBe("http://h/api/my%20hub/a%2Fb?e=a%2Fb");
  });

  it("parses --event-handler hub=url and merges after the file's handlers", () => {
    const option = parseEventHandlerOption("chat=http://localhost:7071/api/events/{hub}");
    expect(option).toEqual({ hub: "chat", handler: { urlTemplate: "http://localhost:7071/api/events/{hub}", systemEvents: ["connect", "connected", "disconnected", "joined", "left"], eventPattern: "*" } });
    expect(() => parseEventHandlerOption("http://x")).toThrow('--event-handler expects <hub>=<urlTemplate>, got "http://x".');
    const merged = mergeUpstreamSettings(parseUpstreamSettings(document), settingsFromHandlers([option]));
    expect(merged.hubs.chat!.map((h) => h.urlTemplate)).toEqual(["http://a/{hub}/{event}", "http://b/{event}", "http://localhost:7071/api/events/{hub}"]);
  });

  it("the starter document parses back to one catch-all handler at the function app", () => {
    const settings = parseUpstreamSettings(starterSettingsDocument("http://localhost:7071/"));
    expect(settings.hubs).toEqual({
      "*": [{ urlTemplate: "http://localhost:7071/api/events/{hub}", systemEvents: ["connect", "connected", "disconnected", "joined", "left"], eventPattern: "*" }],
    });
  });
});

describe("connect response", () => {
  it.each([
    { name: "empty body", body: "", state: undefined, outcome: { kind: "accept" } },
    { name: "state only", body: " ", state: "s", outcome: { kind: "accept", connectionState: "s" } },
    {
      name: "all fields",
      body: '{"userId":"u","groups":["g"],"roles":["r"],"subprotocol":"p"}',
      state: undefined,
      outcome: { kind: "accept", userId: "u", groups: ["g"], roles: ["r"], subprotocol: "p" },
    },
    { name: "nulls ignored", body: '{"userId":null,"groups":null}', state: undefined, outcome: { kind: "accept" } },
    { name: "not JSON", body: "ok", state: undefined, outcome: { kind: "reject", status: 500, message: "The connect event handler returned a body that is not JSON." } },
    { name: "array", body: "[]", state: undefined, outcome: { kind: "reject", status: 500, message: "The connect event handler returned JSON that is not an object." } },
    { name: "bad groups", body: '{"groups":"g"}', state: undefined, outcome: { kind: "reject", status: 500, message: 'The connect event handler returned "groups" that is not an array of strings.' } },
    { name: "bad userId", body: '{"userId":1}', state: undefined, outcome: { kind: "reject", status: 500, message: 'The connect event handler returned "userId" that is not a string.' } },
  ])("$name", ({ body, state, outcome }) => {
    expect(parseConnectResponse(Buffer.from(body), state)).toEqual(outcome);
  });
});
