import { describe, expect, it } from "vitest";
import { decodeBackplaneMessage, encodeBackplaneMessage, MalformedBackplaneMessage, type BackplaneMessage } from "../../emulator/src/backplane/backplane-envelope";

const header = (json: string): Buffer => {
  const bytes = Buffer.from(json, "utf8");
  const prefix = Buffer.alloc(4);
  prefix.writeUInt32BE(bytes.length);
  return Buffer.concat([prefix, bytes]);
};

describe("backplane envelope", () => {
  it.each<[string, BackplaneMessage]>([
    ["a membership command", { kind: "command", origin: "n1", hub: "h", command: { kind: "addUserToGroup", userId: "u", group: "g:1" }, ackId: "a1" }],
    ["a query", { kind: "query", origin: "n1", hub: "h", requestId: "r1", query: { kind: "hasPermission", connectionId: "c", permission: "sendToGroup", targetName: "g" } }],
    ["an answer", { kind: "answer", origin: "n2", requestId: "r1", answer: { kind: "connections", value: [{ connectionId: "c", userId: null }] } }],
    ["a confirmation", { kind: "applied", origin: "n2", ackId: "a1" }],
  ])("round-trips %s", (_name, message) => {
    expect(decodeBackplaneMessage(encodeBackplaneMessage(message))).toEqual(message);
  });

  it("carries delivery bytes raw after the header, not base64", () => {
    const data = Uint8Array.from([0, 255, 10, 13]);
    const wire = encodeBackplaneMessage({ kind: "command", origin: "n", hub: "h", command: { kind: "deliver", target: { kind: "all" }, message: { from: "server", dataType: "binary", data } } });
    expect(wire.subarray(wire.length - 4)).toEqual(Buffer.from(data));
    expect(wire.length).toBe(4 + wire.readUInt32BE(0) + 4);
    const decoded = decodeBackplaneMessage(wire);
    expect(decoded?.kind === "command" && decoded.command.kind === "deliver" && [...decoded.command.message.data]).toEqual([0, 255, 10, 13]);
  });

  it("ignores a message of a newer wire version", () => {
    expect(decodeBackplaneMessage(header('{"v":2,"m":{"kind":"future"}}'))).toBeNull();
  });

  it.each([
    ["too short", Buffer.from([0, 0]), "bus message shorter than its header length"],
    ["a header longer than the message", Buffer.from([0, 0, 0, 9, 0x7b]), "bus message header length exceeds the message"],
    ["a header that is not JSON", header("{nope"), "bus message header is not JSON"],
    ["no version", header("{}"), "bus message header has no version"],
    ["an unknown kind", header('{"v":1,"m":{"kind":"gossip","origin":"n"}}'), "bus message has an unknown shape"],
    ["no origin", header('{"v":1,"m":{"kind":"applied","ackId":"a"}}'), "bus message has an unknown shape"],
    ["a payload on a non-delivery", Buffer.concat([header('{"v":1,"m":{"kind":"applied","origin":"n","ackId":"a"}}'), Buffer.from([1])]), "bus message has a payload but is no delivery"],
  ])("rejects %s", (_name, wire, message) => {
    expect(() => decodeBackplaneMessage(wire)).toThrow(new MalformedBackplaneMessage(message));
  });
});
