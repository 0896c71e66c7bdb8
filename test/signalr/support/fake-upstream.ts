import http from "node:http";
import type { AddressInfo } from "node:net";

export interface UpstreamRequest {
  url: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** A Functions-like upstream: records every request; `answer` decides the response. */
export class FakeUpstream {
  readonly requests: UpstreamRequest[] = [];
  answer: (request: UpstreamRequest) => { status: number; body?: Buffer | string } = () => ({ status: 200 });
  private readonly server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const request = { url: req.url ?? "", headers: req.headers, body: Buffer.concat(chunks) };
      this.requests.push(request);
      const { status, body } = this.answer(request);
      res.writeHead(status);
      res.end(body);
    });
  });
  url = "";

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  byEvent(event: string): UpstreamRequest[] {
    return this.requests.filter((r) => r.headers["x-asrs-event"] === event);
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}

