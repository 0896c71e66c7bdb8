import { describe, expect, it } from "vitest";
import { parseConfig } from "../../shared/config";
import { parseSignalRConnectionString } from "../../shared/signalr/signalr-connection-string";
import { accessKey } from "./support/trigger-harness";

const emulatorString = `Endpoint=http://localhost;Port=8888;AccessKey=${accessKey};Version=1.0;`;

describe("RealtimeService=signalr settings", () => {
  it("reads AzureSignalRConnectionString and SignalRHub (default chat) and ignores the Web PubSub string", () => {
    const config = parseConfig({ RealtimeService: "signalr", AzureSignalRConnectionString: emulatorString });
    expect(config).toMatchObject({
      service: "signalr",
      connectionString: emulatorString,
      endpoint: "http://localhost:8888/",
      clientEndpoint: "http://localhost:8888/",
      accessKey,
      hub: "chat",
      identity: { mode: "anonymous" },
    });
    expect(Object.isFrozen(config)).toBe(true);
    expect(parseConfig({ RealtimeService: "SignalR", AzureSignalRConnectionString: emulatorString, SignalRHub: "Room_1" }).hub).toBe("Room_1");
  });

  it("defaults to webpubsub and still requires its connection string there", () => {
    expect(() => parseConfig({ AzureSignalRConnectionString: emulatorString })).toThrow(
      expect.objectContaining({ code: "InvalidSetting", message: expect.stringContaining("App setting WebPubSubConnectionString is required") }),
    );
  });

  it.each([
    ["an unknown service", { RealtimeService: "pusher" }, 'App setting RealtimeService is "pusher"; use webpubsub or signalr.'],
    ["a missing connection string", { RealtimeService: "signalr" }, "App setting AzureSignalRConnectionString is required when RealtimeService is signalr"],
    ["a connection string without a key", { RealtimeService: "signalr", AzureSignalRConnectionString: "Endpoint=http://localhost:8888;Version=1.0;" }, "App setting AzureSignalRConnectionString is not valid: it has no AccessKey="],
    ["an Entra ID connection string", { RealtimeService: "signalr", AzureSignalRConnectionString: "Endpoint=https://x.service.signalr.net;AuthType=azure.msi;Version=1.0;" }, "App setting AzureSignalRConnectionString is not valid: AuthType (Microsoft Entra ID) is not supported"],
    ["a bad hub", { RealtimeService: "signalr", AzureSignalRConnectionString: emulatorString, SignalRHub: "my hub" }, "App setting SignalRHub must start with a letter"],
    ["default groups", { RealtimeService: "signalr", AzureSignalRConnectionString: emulatorString, DefaultGroups: "lobby" }, "App setting DefaultGroups must be empty when RealtimeService is signalr"],
    ["default roles", { RealtimeService: "signalr", AzureSignalRConnectionString: emulatorString, DefaultRoles: "webpubsub.sendToGroup.lobby" }, "App setting DefaultRoles must be empty when RealtimeService is signalr"],
  ])("refuses %s with a message naming the setting", (_name, settings: Record<string, string>, message: string) => {
    expect(() => parseConfig(settings)).toThrow(expect.objectContaining({ code: "InvalidSetting", message: expect.stringContaining(message) }));
  });
});

describe("parseSignalRConnectionString", () => {
  it.each([
    ["the official emulator's string", emulatorString, { endpoint: "http://localhost:8888/", clientEndpoint: "http://localhost:8888/", accessKey }],
    ["keys in any case, no Version", `endpoint=https://x.service.signalr.net/;accesskey=k=with=equals`, { endpoint: "https://x.service.signalr.net/", clientEndpoint: "https://x.service.signalr.net/", accessKey: "k=with=equals" }],
    ["a ClientEndpoint", `Endpoint=https://x.service.signalr.net;ClientEndpoint=https://chat.contoso.com;AccessKey=k;Version=1.0;`, { endpoint: "https://x.service.signalr.net/", clientEndpoint: "https://chat.contoso.com/", accessKey: "k" }],
  ])("parses %s", (_name, text, expected) => {
    expect(parseSignalRConnectionString(text)).toEqual(expected);
  });

  it.each([
    ["Endpoint=http://a;Endpoint=http://b;AccessKey=k", "it sets Endpoint twice"],
    ["Endpoint=http://a;AccessKey=k;Version=2.0", 'Version "2.0" is not supported; use 1.0'],
    ["Endpoint=http://a;AccessKey=k;Port=99999", "its Port is not a port number"],
    ["Endpoint=ftp://a;AccessKey=k", "its Endpoint must be http:// or https://"],
    ["AccessKey=k", "it has no Endpoint="],
    ["Endpoint=http://a;garbage;AccessKey=k", '"garbage" is not Key=Value'],
  ])("refuses %s", (text, error) => {
    expect(parseSignalRConnectionString(text)).toEqual({ error });
  });
});
