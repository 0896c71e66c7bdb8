import { WebPubSubServiceClient } from "@azure/web-pubsub";
import { describe, expect, it } from "vitest";
import { HubServiceClients } from "../../functions/hub-service-clients";
import { maxCachedHubClients } from "../../shared/limits";

const CONNECTION = "Endpoint=http://localhost:1;AccessKey=ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH;Version=1.0;";

describe("the events trigger's service clients per hub", () => {
  it("keeps the configured hub's client and at most 16 others, least recently used evicted", () => {
    const configured = new WebPubSubServiceClient(CONNECTION, "chat");
    const created: string[] = [];
    const clients = new HubServiceClients("chat", configured, (hub) => (created.push(hub), new WebPubSubServiceClient(CONNECTION, hub)));
    for (let i = 0; i < 1000; i++) clients.get(`hub${i}`);
    expect(clients.size).toBe(maxCachedHubClients);
    expect(maxCachedHubClients).toBe(16);
    expect(clients.get("CHAT")).toBe(configured);
    const recent = clients.get("hub999");
    expect(created).toHaveLength(1000);
    expect(clients.get("HUB999")).toBe(recent);
    clients.get("hub0");
    expect(created).toHaveLength(1001);
  });

  it.each(["", "1hub", "a/b", "用户", "a".repeat(129)])("refuses the hub name %j with 400 InvalidCloudEvent", (hub) => {
    const clients = new HubServiceClients("chat", new WebPubSubServiceClient(CONNECTION, "chat"), () => {
      throw new Error("must not be created");
    });
    expect(() => clients.get(hub)).toThrow(expect.objectContaining({ code: "InvalidCloudEvent", status: 400 }));
  });
});
