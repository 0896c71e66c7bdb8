import net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { EmulatorCli, lines } from "../support/cli-process";

const clis = new EmulatorCli();
afterEach(() => clis.killAll());
const startCli = (args: string[]) => clis.start(args);

describe("npm run emulator", () => {
  it("prints the URL and the connection string on port 0, serves health, exits 0 on SIGINT", async () => {
    const cli = startCli(["--port", "0", "--access-key", "CLI-KEY-0123456789-0123456789-0123456789", "--quiet"]);
    const [url, connectionString] = await lines(cli.stdout, 2);
    expect(url).toMatch(/^http:\/\/localhost:\d+$/);
    expect(connectionString).toBe(`Endpoint=${url};AccessKey=CLI-KEY-0123456789-0123456789-0123456789;Version=1.0;`);
    expect((await fetch(`${url}/api/health`)).status).toBe(200);
    cli.child.kill("SIGINT");
    expect(await cli.exited).toBe(0);
  });

  it("says the port is taken in one line and exits 1", async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const cli = startCli(["--port", String(port)]);
      expect(await cli.exited).toBe(1);
      expect(cli.stdout()).toBe("");
      expect(cli.stderr().split("\n").filter((l) => l && !l.startsWith("npm warn"))).toEqual([`Port ${port} is already in use; pick another with --port (0 picks a free one).`]);
    } finally {
      blocker.close();
    }
  });

  it("rejects a bad flag value with a clear message and exit 1", async () => {
    const cli = startCli(["--port", "eighty"]);
    expect(await cli.exited).toBe(1);
    expect(cli.stderr()).toContain('--port must be a non-negative integer, got "eighty"');
  });
});
