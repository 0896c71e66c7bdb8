import { describe, expect, it } from "vitest";
import { useSignalRStack } from "./support/signalr-stack";

const suite = useSignalRStack();

describe("RealtimeService=signalr: management routes map to the service's REST API", () => {
  it("adds and removes a user (all their connections) to and from a group", async () => {
    const [e1, e2, other] = [await suite.connect("erin", "json"), await suite.connect("erin", "messagepack"), await suite.connect("frank", "json")];
    expect(await suite.call("PUT", "/groups/vip/users/erin")).toEqual({ status: 204, body: null });
    expect(await suite.call("GET", "/groups/vip")).toEqual({ status: 200, body: { group: "vip", exists: true } });
    await suite.call("POST", "/send?group=vip", { contentType: "text/plain", body: "for vips" });
    await suite.settle();
    expect([e1.received, e2.received, other.received]).toEqual([[["newMessage", "for vips"]], [["newMessage", "for vips"]], []]);
    expect(await suite.call("DELETE", "/groups/vip/users/erin")).toEqual({ status: 204, body: null });
    expect(await suite.call("GET", "/groups/vip")).toMatchObject({ status: 404, body: { code: "GroupNotFound" } });
    expect(await suite.call("PUT", "/groups/a/users/erin")).toEqual({ status: 204, body: null });
    expect(await suite.call("DELETE", "/users/erin/groups")).toEqual({ status: 204, body: null });
    expect(await suite.call("GET", "/groups/a")).toMatchObject({ status: 404, body: { code: "GroupNotFound" } });
  });

  it("removes a connection from one group and from every group", async () => {
    const live = await suite.connect("gina", "messagepack");
    const id = encodeURIComponent(live.connectionId);
    for (const group of ["g1", "g2"]) expect(await suite.call("PUT", `/groups/${group}/connections/${id}`)).toEqual({ status: 204, body: null });
    expect(await suite.call("DELETE", `/groups/g1/connections/${id}`)).toEqual({ status: 204, body: null });
    expect(await suite.call("GET", "/groups/g1")).toMatchObject({ status: 404 });
    expect(await suite.call("GET", "/groups/g2")).toMatchObject({ status: 200 });
    expect(await suite.call("DELETE", `/connections/${id}/groups`)).toEqual({ status: 204, body: null });
    expect(await suite.call("GET", "/groups/g2")).toMatchObject({ status: 404 });
  });

  it("closes one connection with a reason; the client sees it, and the connection is then unknown (404, not 502)", async () => {
    const [target, bystander] = [await suite.connect("hank", "json"), await suite.connect("hank", "messagepack")];
    const id = encodeURIComponent(target.connectionId);
    expect(await suite.call("DELETE", `/connections/${id}?reason=maintenance`)).toEqual({ status: 204, body: null });
    const error = await target.closed;
    expect(error?.message).toContain("maintenance");
    expect(await suite.call("GET", `/connections/${id}`)).toEqual({
      status: 404,
      body: { code: "ConnectionNotFound", message: `Connection ${JSON.stringify(target.connectionId)} does not exist.` },
    });
    expect(await suite.call("DELETE", `/connections/${id}`)).toMatchObject({ status: 404, body: { code: "ConnectionNotFound" } });
    expect(await suite.call("PUT", `/groups/g/connections/${id}`)).toMatchObject({ status: 404, body: { code: "ConnectionNotFound" } });
    expect(await suite.call("GET", `/connections/${encodeURIComponent(bystander.connectionId)}`)).toMatchObject({ status: 200 });
  });

  it("closes a user's, a group's and then every connection", async () => {
    const [u1, u2, g1, rest] = [await suite.connect("ivan", "json"), await suite.connect("ivan", "messagepack"), await suite.connect("jill", "json"), await suite.connect("kim", "messagepack")];
    expect(await suite.call("DELETE", "/users/ivan/connections?reason=bye")).toEqual({ status: 204, body: null });
    await Promise.all([u1.closed, u2.closed]);
    expect(await suite.call("GET", "/users/ivan")).toMatchObject({ status: 404, body: { code: "UserNotFound" } });
    await suite.call("PUT", `/groups/closing/connections/${encodeURIComponent(g1.connectionId)}`);
    expect(await suite.call("DELETE", "/groups/closing/connections")).toEqual({ status: 204, body: null });
    await g1.closed;
    expect(await suite.call("GET", `/connections/${encodeURIComponent(rest.connectionId)}`)).toMatchObject({ status: 200 });
    expect(await suite.call("DELETE", "/connections?reason=shutdown")).toEqual({ status: 204, body: null });
    await rest.closed;
    // The service forgets a closed connection when its socket ends, just after the client saw the close.
    let status = 0;
    for (let tries = 0; tries < 200 && status !== 404; tries += 1) {
      status = (await suite.call("GET", "/users/kim")).status;
      if (status !== 404) await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(status).toBe(404);
  });

  it("presence: online checks work; member lists, which the service's REST API lacks, are refused by name", async () => {
    await suite.connect("lena", "json");
    expect(await suite.call("GET", "/users/lena/online")).toEqual({ status: 200, body: { userId: "lena", online: true } });
    expect(await suite.call("GET", "/users/nobody/online")).toEqual({ status: 200, body: { userId: "nobody", online: false } });
    for (const path of ["/groups/g/members", "/groups/g/members/count"]) {
      expect(await suite.call("GET", path)).toMatchObject({ status: 400, body: { code: "UnsupportedOption", option: "members" } });
    }
  });
});
