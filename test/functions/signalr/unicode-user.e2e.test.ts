import { describe, expect, it } from "vitest";
import { useSignalRStack } from "./support/signalr-stack";

// negotiate (RealtimeService=signalr) → the local SignalR service → X-ASRS-User-Id → the app's
// SignalR upstream trigger: a user id outside Latin-1 arrives as the same text at every step.
const suite = useSignalRStack();

describe("a SignalR user id outside Latin-1 through the function app", () => {
  it.each(["json", "messagepack"] as const)("negotiates, relays the %s client's broadcast under its own name, and receives REST sends to the user", async (protocol) => {
    const user = await suite.connect("用户", protocol);
    const other = await suite.connect("bob", "messagepack");
    await user.connection.invoke("broadcast", "你好");
    await other.waitFor((message) => (message[1] as { text?: string }).text === "你好");
    expect(other.received).toEqual([["newMessage", { from: "用户", text: "你好" }]]);

    const online = await suite.call("GET", `/users/${encodeURIComponent("用户")}`);
    expect(online.status).toBe(200);
    const sent = await suite.call("POST", `/send?userId=${encodeURIComponent("用户")}`, { contentType: "text/plain", body: "给你" });
    expect(sent.status).toBe(202);
    await user.waitFor((message) => JSON.stringify(message).includes("给你"));
    await suite.settle();
    expect(other.received.filter((message) => JSON.stringify(message).includes("给你"))).toEqual([]);
  }, 60_000);
});
