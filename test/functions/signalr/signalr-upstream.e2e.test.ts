import { createHmac } from "node:crypto";
import { encode } from "@msgpack/msgpack";
import { describe, expect, it } from "vitest";
import { accessKey } from "../support/trigger-harness";
import { useSignalRStack } from "./support/signalr-stack";

// client.invoke → local SignalR service → upstream HTTP → the function app's SignalR trigger → Completion back to the client.
const suite = useSignalRStack({ AllowedGroups: "room-*" });

function signature(connectionId: string, key = accessKey, upper = false): string {
  const hex = createHmac("sha256", Buffer.from(key, "utf8")).update(connectionId, "utf8").digest("hex");
  return `sha256=${upper ? hex.toUpperCase() : hex}`;
}

function upstreamPost(headers: Record<string, string>, body: string | Uint8Array, path = "/signalr/chat/messages/echo") {
  return fetch(`${suite.functionsBase}${path}`, {
    method: "POST",
    headers: { "x-asrs-hub": "chat", "x-asrs-category": "messages", "x-asrs-event": "echo", "content-type": "application/json", ...headers },
    body: body as BodyInit,
  });
}

describe("the SignalR upstream trigger behind the local service", () => {
  it.each(["json", "messagepack"] as const)("answers a %s client's invoke() with a Completion in its own protocol", async (protocol) => {
    const live = await suite.connect("alice", protocol);
    expect(await live.connection.invoke("echo", { n: 1, list: ["a", null], s: "é" })).toEqual({ n: 1, list: ["a", null], s: "é" });
    await expect(live.connection.invoke("launchMissiles")).rejects.toThrow('The function app has no handler for "launchMissiles".');
  });

  it("runs the same handler registry as Web PubSub: memberCount's grant rule holds, and SignalR's REST API cannot count", async () => {
    const live = await suite.connect("alice", "json");
    await expect(live.connection.invoke("memberCount", "secret")).rejects.toThrow('Group "secret" is not in the allow-list (AllowedGroups).');
    await expect(live.connection.invoke("memberCount", { group: "room-1" })).rejects.toThrow(/member/i);
  });

  it.each(["json", "messagepack"] as const)("relays a %s client's broadcast to everyone, and a group message to the group only", async (protocol) => {
    const [sender, member, other] = [await suite.connect("alice", protocol), await suite.connect("bob", "json"), await suite.connect("carol", "messagepack")];
    await suite.call("PUT", `/groups/room-1/connections/${encodeURIComponent(member.connectionId)}`);
    await sender.connection.invoke("broadcast", "hello all");
    await sender.connection.send("send", { group: "room-1", text: "hello room" });
    // send() does not wait for the upstream call: wait for its relay before settling the rest.
    await member.waitFor((message) => (message[1] as { text?: string }).text === "hello room");
    await suite.settle();
    for (const live of [sender, member, other]) expect(live.received[0]).toEqual(["newMessage", { from: "alice", text: "hello all" }]);
    expect(member.received.slice(1)).toEqual([["newMessage", { from: "alice", text: "hello room", group: "room-1" }]]);
    expect([sender.received.length, other.received.length]).toEqual([1, 1]);
    await expect(sender.connection.invoke("broadcast", { group: "secret", text: "x" })).rejects.toThrow('Group "secret" is not in the allow-list (AllowedGroups).');
  });

  it("accepts a valid signature in either hex case, and refuses a forged or missing one with 401 before reading the body", async () => {
    const invocation = JSON.stringify({ type: 1, invocationId: "9", target: "echo", arguments: [42] });
    const valid = await upstreamPost({ "x-asrs-connection-id": "c-1", "x-asrs-signature": `sha256=${"0".repeat(64)}, ${signature("c-1", accessKey, true)}` }, invocation);
    expect(valid.status).toBe(200);
    expect(valid.headers.get("content-type")).toBe("application/json");
    expect(await valid.text()).toBe('{"type":3,"invocationId":"9","result":42}\u001e');

    const msgpack = await upstreamPost(
      { "x-asrs-connection-id": "c-2", "x-asrs-signature": signature("c-2"), "content-type": "application/x-msgpack" },
      encode([1, {}, "3", "echo", ["x"]]),
    );
    expect(msgpack.status).toBe(200);
    expect([...new Uint8Array(await msgpack.arrayBuffer())]).toEqual([0x08, 0x95, 0x03, 0x80, 0xa1, 0x33, 0x03, 0xa1, 0x78]);

    for (const forged of [signature("c-1", "another-key"), signature("c-other"), "", "sha256=zz"]) {
      const refused = await upstreamPost({ "x-asrs-connection-id": "c-1", ...(forged ? { "x-asrs-signature": forged } : {}) }, invocation);
      expect(refused.status).toBe(401);
      expect(await refused.json()).toEqual({ code: "UpstreamSignatureMismatch", message: "The X-ASRS-Signature header does not match the configured access key." });
    }
  });

  it("answers connected and disconnected with 200, and malformed requests with 400 / 415", async () => {
    const connections = (event: string, body: string) =>
      upstreamPost({ "x-asrs-connection-id": "c-3", "x-asrs-signature": signature("c-3"), "x-asrs-category": "connections", "x-asrs-event": event }, body, `/signalr/chat/connections/${event}`);
    expect((await connections("connected", '{"type":10}')).status).toBe(200);
    expect((await connections("disconnected", '{"type":11,"error":"gone"}')).status).toBe(200);
    expect((await connections("reconnected", "{}")).status).toBe(400);
    const wrongType = await upstreamPost({ "x-asrs-connection-id": "c-3", "x-asrs-signature": signature("c-3"), "content-type": "text/plain" }, "hi");
    expect(wrongType.status).toBe(415);
    const noHub = await fetch(`${suite.functionsBase}/signalr/chat/messages/echo`, { method: "POST", headers: { "x-asrs-connection-id": "c-3" }, body: "{}" });
    expect(await noHub.json()).toEqual({ code: "InvalidUpstreamRequest", message: "Not a SignalR upstream request: the x-asrs-hub header is missing." });
  });
});
