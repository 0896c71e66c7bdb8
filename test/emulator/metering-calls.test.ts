import { afterEach, describe, expect, it } from "vitest";
import type { ServiceMeter } from "../../emulator/src/metering/service-meter";
import { noMeter } from "../../emulator/src/metering/service-meter";
import { EmulatorFixture } from "./support/emulator-fixture";

const fixture = new EmulatorFixture();
afterEach(() => fixture.cleanup());

/** A meter that writes down what the core reports (the core's side of the ServiceMeter contract). */
function recordingMeter(): ServiceMeter & { calls: string[] } {
  const calls: string[] = [];
  return {
    ...noMeter,
    calls,
    connectionOpened: (hub) => void calls.push(`opened ${hub}`),
    connectionClosed: (hub) => void calls.push(`closed ${hub}`),
    inboundMessage: (hub, source, bytes) => void (source === "client" && calls.push(`in ${hub} ${bytes}`)),
    outboundMessage: (hub, target, bytes) => void calls.push(`out ${hub} ${target} ${bytes}`),
  };
}

describe("what the core reports to the meter", () => {
  it("counts client data frames in, one outbound per recipient of payload bytes, and nothing for pings, acks or system messages", async () => {
    const meter = recordingMeter();
    const server = await fixture.start({ meter });
    const roles = ["webpubsub.sendToGroup"];
    const sender = await fixture.openSocket(await fixture.clientUrl(server, "hub1", { roles, groups: ["g"] }), "json.webpubsub.azure.v1");
    const member = await fixture.openSocket(await fixture.clientUrl(server, "hub1", { groups: ["g"] }), "json.reliable.webpubsub.azure.v1");
    const raw = await fixture.openSocket(await fixture.clientUrl(server, "hub1", { groups: ["g"] }));
    await sender.inbox.frameCount(1);
    await member.inbox.frameCount(1);
    sender.socket.send('{"type":"ping"}');
    sender.socket.send('{"type":"sendToGroup","group":"g","ackId":1,"noEcho":true,"dataType":"text","data":"12345"}');
    await sender.inbox.frameCount(3);
    await member.inbox.frameCount(2);
    await raw.inbox.frameCount(1);
    raw.socket.send("abc");
    raw.socket.close();
    await raw.inbox.closeEvent();
    await raw.inbox.until(() => (meter.calls.includes("closed hub1") ? true : undefined)); // the server has seen the close
    expect(meter.calls).toEqual(["opened hub1", "opened hub1", "opened hub1", "in hub1 5", "out hub1 client 5", "out hub1 client 5", "in hub1 3", "closed hub1"]);
  });

  it("bills stream fragments and terminal frames per recipient like group messages, and no stream ack or close", async () => {
    const meter = recordingMeter();
    const server = await fixture.start({ meter });
    const publisher = await fixture.openSocket(await fixture.clientUrl(server, "hub1", { roles: ["webpubsub.sendToGroup"] }), "json.webpubsub.azure.v1");
    const members = [
      await fixture.openSocket(await fixture.clientUrl(server, "hub1", { groups: ["g"] }), "json.webpubsub.azure.v1"),
      await fixture.openSocket(await fixture.clientUrl(server, "hub1", { groups: ["g"] }), "json.reliable.webpubsub.azure.v1"),
    ];
    await publisher.inbox.frameCount(1);
    for (const member of members) await member.inbox.frameCount(1);
    meter.calls.length = 0;
    publisher.socket.send('{"type":"sendToGroup","group":"g","noEcho":false,"stream":{"streamId":"s"}}');
    publisher.socket.send('{"type":"streamData","streamId":"s","streamSequenceId":1,"dataType":"text","data":"abcd"}');
    publisher.socket.send('{"type":"streamData","streamId":"s"}');
    publisher.socket.send('{"type":"streamEnd","streamId":"s"}');
    publisher.socket.send('{"type":"ping"}');
    await publisher.inbox.frameCount(5);
    for (const member of members) await member.inbox.frameCount(3);
    expect(meter.calls).toEqual(["in hub1 4", "out hub1 client 4", "out hub1 client 4", "out hub1 client 0", "out hub1 client 0"]);
  });
});
