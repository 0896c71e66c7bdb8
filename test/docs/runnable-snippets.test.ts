/**
 * The guides' library snippets run as shown: each block marked `<!-- runnable-snippet: NAME.mts -->`
 * is saved as that file inside the repository (so it finds the project's packages, the local
 * service's among them) and run with `node --import tsx`, as the guides tell readers to.
 */
import { execFile } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const ROOT = join(__dirname, "../..");
const DIR = join(ROOT, "test-results", "snippets");

const snippets = readdirSync(join(ROOT, "docs"))
  .filter((name) => name.endsWith(".md"))
  .flatMap((name) =>
    [...readFileSync(join(ROOT, "docs", name), "utf8").matchAll(/<!-- runnable-snippet: ([\w.-]+\.mts) -->\s*```ts\n([\s\S]*?)```/g)].map((m) => ({
      guide: name,
      file: m[1]!,
      code: m[2]!,
    })),
  );

afterAll(() => rmSync(DIR, { recursive: true, force: true }));

describe("the guides' runnable snippets", () => {
  it("there are some: the SignalR guide's and the local service guide's", () => {
    expect(snippets.map((s) => `${s.guide}:${s.file}`).sort()).toEqual([
      "local-service.md:create-server.mts",
      "local-service.md:group-state.mts",
      "local-service.md:group-stream.mts",
      "local-service.md:invoke.mts",
      "local-service.md:start-local-service.mts",
      "signalr.md:signalr-library.mts",
    ]);
  });

  it.each(snippets.map((s) => [s.guide, s.file, s.code] as const))("%s: %s runs with npx tsx and exits 0", async (_guide, file, code) => {
    mkdirSync(DIR, { recursive: true });
    writeFileSync(join(DIR, file), code);
    const { stdout } = await run(process.execPath, ["--import", "tsx", join(DIR, file)], { cwd: ROOT, timeout: 30_000 });
    if (file === "invoke.mts") expect(stdout.trim()).toBe("text echo: hi");
    if (file === "group-stream.mts") expect(stdout.trim()).toBe("Streaming");
    if (file === "group-state.mts") expect(stdout.trim()).toBe("system ack groupStateSnapshot groupStateUpdate");
    if (file === "signalr-library.mts") expect(stdout.trim().split("\n")).toEqual([expect.stringMatching(/^Endpoint=http:\/\/localhost;Port=\d+;AccessKey=.+;Version=1\.0;$/), "Connected"]);
  }, 40_000);
});
