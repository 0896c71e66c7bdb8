import { WebSocket } from "ws";
import type { ServiceServer } from "../../../emulator/src/server";
import { clientToken } from "./signalr-fixture";

const RS = "\x1e";

/** Negotiates over HTTP as the client does and returns the answer. */
export async function negotiate(server: ServiceServer, hub: string, token = clientToken(hub), version = 1): Promise<{ connectionId: string; connectionToken?: string }> {
  const response = await fetch(`${server.url}/client/negotiate?hub=${hub}&negotiateVersion=${version}`, { method: "POST", headers: { authorization: `Bearer ${token}` } });
  if (response.status !== 200) throw new Error(`negotiate answered ${response.status}`);
  return (await response.json()) as { connectionId: string; connectionToken?: string };
}

/** A raw socket on the client endpoint, recording every frame and the close. */
export class RawSignalRSocket {
  readonly frames: Array<{ data: Buffer; isBinary: boolean }> = [];
  closed: { code: number; reason: string } | undefined;
  readonly socket: WebSocket;
  /** The public id the service negotiated for this socket. */
  connectionId = "";

  private constructor(socket: WebSocket) {
    this.socket = socket;
    socket.on("message", (data, isBinary) => this.frames.push({ data: data as Buffer, isBinary }));
    socket.on("close", (code, reason) => (this.closed = { code, reason: reason.toString() }));
    socket.on("error", () => {});
  }

  /** Negotiates, then opens the socket with the token in the Authorization header. */
  static async open(server: ServiceServer, hub: string, token = clientToken(hub)): Promise<RawSignalRSocket> {
    const { connectionToken, connectionId } = await negotiate(server, hub, token);
    const socket = new WebSocket(`${server.url.replace(/^http/, "ws")}/client/?hub=${hub}&id=${connectionToken}`, { headers: { authorization: `Bearer ${token}` }, perMessageDeflate: false });
    await new Promise<void>((resolve, reject) => {
      socket.once("open", () => resolve());
      socket.once("error", reject);
    });
    const raw = new RawSignalRSocket(socket);
    raw.connectionId = connectionId;
    return raw;
  }

  sendText(text: string): void {
    this.socket.send(text, { binary: false });
  }

  /** The text of every frame received so far, joined. */
  text(): string {
    return this.frames.map((f) => f.data.toString("utf8")).join("");
  }

  /** The JSON messages received so far (text frames split on the separator). */
  jsonMessages(): Array<Record<string, unknown>> {
    return this.text()
      .split(RS)
      .filter((part) => part.length > 0)
      .map((part) => JSON.parse(part) as Record<string, unknown>);
  }
}

/** Resolves with the HTTP status a refused upgrade answered (or 101). */
export function upgradeStatus(url: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve) => {
    const socket = new WebSocket(url, { headers, perMessageDeflate: false });
    socket.on("unexpected-response", (_req, res) => {
      resolve(res.statusCode ?? 0);
      socket.terminate();
    });
    socket.on("open", () => {
      resolve(101);
      socket.terminate();
    });
    socket.on("error", () => {});
  });
}
