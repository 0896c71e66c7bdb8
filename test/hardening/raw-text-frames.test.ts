import jwt from "jsonwebtoken";
import { afterEach, describe, expect, it } from "vitest";
import { DEFAULT_ACCESS_KEY } from "../../emulator/src/options";
import { EmulatorFixture } from "../emulator/support/emulator-fixture";

// Found by the hostile-input suite: an event handler's (or a REST caller's) "text" that is not
// UTF-8 went to raw clients in a text frame, and a conforming client then fails the connection.
const fixture = new EmulatorFixture();
afterEach(() => fixture.cleanup());

describe("raw clients and text that is not UTF-8", () => {
  it("get it as a binary frame with the exact bytes; valid text stays a text frame", async () => {
    const server = await fixture.start();
    const { socket, inbox } = await fixture.openSocket(await fixture.clientUrl(server, "hub1", { userId: "u1" }));
    const service = fixture.serviceClient(server);
    const bad = Buffer.from([0x61, 0xff, 0xc3, 0x62]);
    await service.sendToAll(bad.toString("latin1"), { contentType: "text/plain" }); // the SDK sends this as UTF-8 of U+00FF…: valid
    await service.sendToAll("héllo", { contentType: "text/plain" });
    const url = `${server.url}/api/hubs/hub1/:send?api-version=2024-12-01`;
    const token = jwt.sign({ aud: url, exp: Math.floor(Date.now() / 1000) + 600 }, DEFAULT_ACCESS_KEY, { algorithm: "HS256" });
    const raw = await fetch(url, { method: "POST", headers: { "content-type": "text/plain", authorization: `Bearer ${token}` }, body: bad });
    expect(raw.status).toBe(202);
    const frames = await inbox.frameCount(3);
    expect(frames.map((f) => [f.isBinary, Buffer.from(f.data).toString("hex")])).toEqual([
      [false, Buffer.from(bad.toString("latin1"), "utf8").toString("hex")],
      [false, Buffer.from("héllo").toString("hex")],
      [true, bad.toString("hex")],
    ]);
    expect(socket.readyState).toBe(socket.OPEN);
  });
});
