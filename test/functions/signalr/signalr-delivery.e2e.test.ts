import { describe, expect, it } from "vitest";
import { createSendHandler } from "../../../functions/send";
import { invoke, makeDeps } from "../support/trigger-harness";
import { useSignalRStack } from "./support/signalr-stack";

// Real local SignalR service, real functions host, real @microsoft/signalr clients (JSON and MessagePack).
const suite = useSignalRStack();

describe("RealtimeService=signalr: send and broadcast reach @microsoft/signalr clients that negotiated through the function", () => {
  it("connects JSON and MessagePack clients through /api/negotiate, each with a connection id the service knows", async () => {
    const [json, msgpack] = [await suite.connect("alice", "json"), await suite.connect("alice", "messagepack")];
    expect(json.connectionId).not.toBe("");
    expect(msgpack.connectionId).not.toBe(json.connectionId);
    for (const live of [json, msgpack]) {
      expect(await suite.call("GET", `/connections/${encodeURIComponent(live.connectionId)}`)).toEqual({ status: 200, body: { connectionId: live.connectionId, exists: true } });
    }
    expect(await suite.call("GET", "/users/alice")).toEqual({ status: 200, body: { userId: "alice", exists: true } });
  });

  it("sends text to every connection of one user, in both protocols, and nobody else", async () => {
    const [a1, a2, bob] = [await suite.connect("alice", "json"), await suite.connect("alice", "messagepack"), await suite.connect("bob", "messagepack")];
    const result = await suite.call("POST", "/send?userId=alice", { contentType: "text/plain; charset=utf-8", body: "hi alice" });
    expect(result).toEqual({ status: 202, body: { target: { kind: "user", userId: "alice" }, dataType: "text", bytes: 8 } });
    await suite.settle();
    expect(a1.received).toEqual([["newMessage", "hi alice"]]);
    expect(a2.received).toEqual([["newMessage", "hi alice"]]);
    expect(bob.received).toEqual([]);
  });

  it("sends JSON to one connection only, as the single argument of ?target=", async () => {
    const [first, second] = [await suite.connect("carol", "messagepack", ["scoreChanged"]), await suite.connect("carol", "json", ["scoreChanged"])];
    const body = '{ "n": 1, "list": [true, null, "x"], "f": 1.5 }';
    const result = await suite.call("POST", `/send?connectionId=${encodeURIComponent(first.connectionId)}&target=scoreChanged`, { contentType: "application/json", body });
    expect(result).toEqual({ status: 202, body: { target: { kind: "connection", connectionId: first.connectionId }, dataType: "json", bytes: body.length } });
    await suite.settle();
    expect(first.received).toEqual([["scoreChanged", { n: 1, list: [true, null, "x"], f: 1.5 }]]);
    expect(second.received).toEqual([]);
  });

  it("sends to a group joined through the function, minus the excluded connection", async () => {
    const members = [await suite.connect("m1", "json"), await suite.connect("m2", "messagepack"), await suite.connect("m3", "json")];
    const outsider = await suite.connect("o1", "messagepack");
    for (const member of members) {
      expect(await suite.call("PUT", `/groups/room-1/connections/${encodeURIComponent(member.connectionId)}`)).toEqual({ status: 204, body: null });
    }
    expect(await suite.call("GET", "/groups/room-1")).toEqual({ status: 200, body: { group: "room-1", exists: true } });
    const result = await suite.call("POST", `/send?group=room-1&excluded=${encodeURIComponent(members[1].connectionId)}`, { contentType: "application/json", body: '"to the room"' });
    expect(result).toEqual({ status: 202, body: { target: { kind: "group", group: "room-1" }, dataType: "json", bytes: 13 } });
    await suite.settle();
    expect(members[0].received).toEqual([["newMessage", "to the room"]]);
    expect(members[2].received).toEqual([["newMessage", "to the room"]]);
    expect(members[1].received).toEqual([]);
    expect(outsider.received).toEqual([]);
  });

  it("join-group acts on the caller's own user: naming another user's connection adds the caller, never the victim", async () => {
    const victim = await suite.connect("victim", "json");
    const mallory = await suite.connect("mallory", "json");
    const join = await suite.call("POST", `/join-group?group=room-2&connectionId=${encodeURIComponent(victim.connectionId)}&userId=mallory`);
    expect(join).toEqual({ status: 200, body: { group: "room-2", connectionId: victim.connectionId, joined: true } });
    expect(await suite.call("POST", "/send?group=room-2", { contentType: "application/json", body: '"room two"' })).toMatchObject({ status: 202 });
    await suite.settle();
    expect(mallory.received).toEqual([["newMessage", "room two"]]);
    expect(victim.received).toEqual([]);
  });

  it("broadcasts to every connection of the hub, minus excluded", async () => {
    const all = [await suite.connect("b1", "json"), await suite.connect("b2", "messagepack"), await suite.connect("b3", "json")];
    const result = await suite.call("POST", `/broadcast?excluded=${encodeURIComponent(all[2].connectionId)}`, { contentType: "application/json", body: '{"msg":"hi all"}' });
    expect(result).toEqual({ status: 202, body: { target: { kind: "all", hub: "chat" }, dataType: "json", bytes: 16 } });
    await suite.settle();
    expect(all[0].received).toEqual([["newMessage", { msg: "hi all" }]]);
    expect(all[1].received).toEqual([["newMessage", { msg: "hi all" }]]);
    expect(all[2].received).toEqual([]);
  });

  it("refuses what SignalR cannot carry with a 4xx, and nothing is delivered", async () => {
    const live = await suite.connect("dave", "json");
    expect(await suite.call("POST", "/broadcast?filter=userId%20eq%20'dave'", { contentType: "text/plain", body: "x" })).toMatchObject({ status: 400, body: { code: "UnsupportedOption", option: "filter" } });
    expect(await suite.call("POST", "/send?userId=dave&messageTtlSeconds=5", { contentType: "text/plain", body: "x" })).toMatchObject({ status: 400, body: { code: "UnsupportedOption", option: "messageTtlSeconds" } });
    expect(await suite.call("POST", "/send?userId=dave", { contentType: "application/octet-stream", body: Uint8Array.from([1, 2]) })).toMatchObject({ status: 415, body: { code: "UnsupportedContentType" } });
    await suite.settle();
    expect(live.received).toEqual([]);
  });
});

describe("RealtimeService=signalr: the service's refusals come back as 502", () => {
  it("maps a rejected access key to 502 ServiceError with the service's status", async () => {
    const wrongKey = suite.service.connectionString.replace(/AccessKey=[^;]+/, "AccessKey=another-key-entirely-another-key-entirely");
    const deps = makeDeps({ RealtimeService: "signalr", AzureSignalRConnectionString: wrongKey });
    const result = await invoke(createSendHandler(deps), { method: "POST", path: "/api/send?userId=a", headers: { "content-type": "text/plain" }, body: "x" });
    expect(result.status).toBe(502);
    expect(result.body).toMatchObject({ code: "ServiceError", serviceStatus: 401, message: expect.stringMatching(/^Azure SignalR Service answered 401 /) });
  });
});
