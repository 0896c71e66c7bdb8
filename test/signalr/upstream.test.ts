import { HttpTransportType } from "@microsoft/signalr";
import { decode, encode } from "@msgpack/msgpack";
import { afterEach, describe, expect, it } from "vitest";
import { DEFAULT_ACCESS_KEY } from "../../emulator/src/options";
import { frameBody } from "../../emulator/src/signalr/messagepack-hub-protocol";
import { signConnectionId } from "../../common/cloud-events-signature";
import { upstreamUrl, parseUpstreamSettingsDocument } from "../../emulator/src/signalr/upstream-templates";
import { until } from "../support/until";
import { clientToken, SignalRFixture } from "./support/signalr-fixture";
import { FakeUpstream, type UpstreamRequest } from "./support/fake-upstream";

const SECONDARY = "SECONDARY-KEY-0123456789-0123456789-01234567";

const fixture = new SignalRFixture();
const upstreams: FakeUpstream[] = [];
afterEach(async () => {
  await fixture.cleanup();
  await Promise.all(upstreams.splice(0).map((u) => u.close()));
});

async function withUpstream(template = "/{hub}/{category}/{event}", extra: object = {}) {
  const upstream = await new FakeUpstream().start();
  upstreams.push(upstream);
  const server = await fixture.start({ secondaryAccessKey: SECONDARY, signalr: { upstream: [{ urlTemplate: `${upstream.url}${template}`, ...extra }] } });
  return { upstream, server };
}

/** What the Functions extension answers to an invocation: a framed Completion in the caller's protocol. */
function completionFor(request: UpstreamRequest, result: unknown): Buffer {
  if (request.headers["content-type"] === "application/x-msgpack") {
    const [, , invocationId] = decode(request.body) as unknown[];
    return frameBody(encode([3, {}, invocationId, 3, result]));
  }
  const { invocationId } = JSON.parse(request.body.toString()) as { invocationId: string };
  return Buffer.from(`${JSON.stringify({ type: 3, invocationId, result })}\x1e`);
}

describe("SignalR upstream", () => {
  it("posts connected and disconnected with the X-ASRS headers and a signature per key", async () => {
    const { upstream, server } = await withUpstream();
    const client = await fixture.connect(server, "Chat", { token: clientToken("chat", { "asrs.s.uid": "alice", role: "admin" }) });
    await until(() => upstream.byEvent("connected")[0]);
    const connected = upstream.byEvent("connected")[0]!;
    expect(connected.url).toBe("/chat/connections/connected");
    expect(connected.body.toString()).toBe('{"type":10}');
    expect(connected.headers["content-type"]).toBe("application/json");
    expect(connected.headers["x-asrs-connection-id"]).toBe(client.connectionId);
    expect(connected.headers["x-asrs-hub"]).toBe("chat");
    expect(connected.headers["x-asrs-category"]).toBe("connections");
    expect(connected.headers["x-asrs-user-id"]).toBe("alice");
    expect(connected.headers["x-asrs-user-claims"]).toMatch(/^aud: http:\/\/localhost\/client\/\?hub=chat, asrs\.s\.uid: alice, role: admin, iat: \d+, exp: \d+$/);
    expect(connected.headers["x-asrs-client-query"]).toMatch(/^\?hub=Chat&id=[\w-]{22}$/);
    expect(connected.headers["x-asrs-signature"]).toBe(signConnectionId([DEFAULT_ACCESS_KEY, SECONDARY], client.connectionId));
    await client.connection.stop();
    await until(() => upstream.byEvent("disconnected")[0]);
    expect(upstream.byEvent("disconnected")[0]!.body.toString()).toBe('{"type":11}');
  });

  it.each([
    ["Server-Sent Events", HttpTransportType.ServerSentEvents, "json"],
    ["Long Polling", HttpTransportType.LongPolling, "json"],
    ["Long Polling", HttpTransportType.LongPolling, "messagepack"],
  ] as const)("over %s (%s): connected, the invocation with its Completion, and disconnected reach the upstream", async (_name, transport, protocol) => {
    const { upstream, server } = await withUpstream();
    upstream.answer = (request) =>
      request.headers["x-asrs-category"] === "messages" ? { status: 200, body: completionFor(request, { via: "http" }) } : { status: 200 };
    const client = await fixture.connect(server, "chat", { protocol, userId: "hal", transport });
    await until(() => upstream.byEvent("connected")[0]);
    expect(await client.connection.invoke("Echo", "x")).toEqual({ via: "http" });
    expect(upstream.byEvent("Echo")[0]!.headers["x-asrs-user-id"]).toBe("hal");
    await client.connection.stop();
    await until(() => upstream.byEvent("disconnected")[0]);
    expect(upstream.byEvent("disconnected")[0]!.body.toString()).toBe('{"type":11}');
    expect(upstream.byEvent("connected")).toHaveLength(1);
  });

  it("signs as the cloud service does: sha256= hex HMAC of the connection id with the UTF-8 key", () => {
    const signature = signConnectionId([DEFAULT_ACCESS_KEY], "c1");
    expect(signature).toMatch(/^sha256=dd527c79[0-9a-f]{51}f9023$/);
    expect(signConnectionId([DEFAULT_ACCESS_KEY, "k2"], "c1").split(",")).toHaveLength(2);
  });

  it.each(["json", "messagepack"] as const)("relays the upstream's answer to invoke() as its Completion (%s)", async (protocol) => {
    const { upstream, server } = await withUpstream();
    upstream.answer = (request) =>
      request.headers["x-asrs-category"] === "messages" ? { status: 200, body: completionFor(request, { echoed: "x", n: 2 }) } : { status: 200 };
    const client = await fixture.connect(server, "chat", { protocol, userId: "bob" });
    expect(await client.connection.invoke("Echo", "x", 2)).toEqual({ echoed: "x", n: 2 });
    const call = upstream.byEvent("Echo")[0]!;
    expect(call.url).toBe("/chat/messages/Echo");
    // Upstream calls are billed outbound messages: `connected` and the invocation.
    const usage = (await (await fetch(`${server.url}/api/usage`)).json()) as { faces: { signalr: { outbound: { toUpstream: number } } } };
    expect(usage.faces.signalr.outbound.toUpstream).toBe(2);
    expect(call.headers["x-asrs-user-id"]).toBe("bob");
    if (protocol === "json") {
      expect(call.headers["content-type"]).toBe("application/json");
      expect(JSON.parse(call.body.toString())).toEqual({ type: 1, invocationId: "0", target: "Echo", arguments: ["x", 2] });
      expect(call.body.includes(0x1e)).toBe(false);
    } else {
      expect(call.headers["content-type"]).toBe("application/x-msgpack");
      expect(decode(call.body)).toEqual([1, {}, "0", "Echo", ["x", 2]]);
    }
  });

  it.each(["json", "messagepack"] as const)("never lets invoke() hang (%s): void, failure and no-upstream Completions", async (protocol) => {
    const { upstream, server } = await withUpstream("/{event}", { categoryPattern: "connections, messages", eventPattern: "connected,disconnected,void,fails,gone" });
    upstream.answer = (request) => {
      switch (request.headers["x-asrs-event"]) {
        case "void":
          return { status: 204 };
        case "fails":
          return { status: 500 };
        default:
          return { status: 200 };
      }
    };
    const client = await fixture.connect(server, "chat", { protocol });
    expect(await client.connection.invoke("void")).toBeUndefined();
    await expect(client.connection.invoke("fails")).rejects.toThrow("Invocation failed, status code 500");
    await expect(client.connection.invoke("unrouted")).rejects.toThrow("No upstream handles invocations of 'unrouted' on hub 'chat'.");
    await upstream.close();
    await expect(client.connection.invoke("gone")).rejects.toThrow(/^Invocation failed, the upstream could not be reached/);
  });

  it("answers invoke() with an error when no upstream is configured, and send() goes upstream without an answer", async () => {
    const server = await fixture.start();
    const client = await fixture.connect(server, "chat");
    await expect(client.connection.invoke("anything", 1)).rejects.toThrow("No upstream handles invocations of 'anything' on hub 'chat'.");
    const { upstream, server: other } = await withUpstream();
    const sender = await fixture.connect(other, "chat");
    await sender.connection.send("fireAndForget", "y");
    await until(() => upstream.byEvent("fireAndForget")[0]);
    expect(JSON.parse(upstream.byEvent("fireAndForget")[0]!.body.toString())).toEqual({ type: 1, target: "fireAndForget", arguments: ["y"] });
  });

  it("matches templates in order, first match wins, placeholders URL-encoded", () => {
    const templates = parseUpstreamSettingsDocument(
      {
        upstreamSettings: {
          templates: [
            { urlTemplate: "http://a/{hub}/{event}", hubPattern: "chat, news", categoryPattern: "messages", eventPattern: "send" },
            { UrlTemplate: "http://b/{category}/{event}", HubPattern: "*" },
          ],
        },
      },
      "test",
    );
    expect(upstreamUrl(templates, "chat", "messages", "send")).toBe("http://a/chat/send");
    expect(upstreamUrl(templates, "NEWS", "messages", "SEND")).toBe("http://a/NEWS/SEND");
    expect(upstreamUrl(templates, "chat", "connections", "connected")).toBe("http://b/connections/connected");
    expect(upstreamUrl(templates, "chat", "messages", "a b/c")).toBe("http://b/messages/a%20b%2Fc");
    // A method name a client invoked with a lone surrogate (no UTF-8 form) used to throw "URI malformed".
    expect(upstreamUrl(templates, "chat", "messages", "x\uD800y用户")).toBe(`http://b/messages/x%EF%BF%BDy${encodeURIComponent("用户")}`);
    expect(upstreamUrl([], "chat", "messages", "send")).toBeUndefined();
  });
});
