import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HttpRequest } from "@azure/functions";
import { describe, expect, it } from "vitest";
import { resolveWebAsset, serveWebClient } from "../../functions/web";

const root = mkdtempSync(join(tmpdir(), "web-dist-"));
writeFileSync(join(root, "index.html"), "<!doctype html><title>t</title>");
writeFileSync(join(root, "app.js"), "console.log(1)");
mkdirSync(join(root, "img"));
writeFileSync(join(root, "img", "a.svg"), "<svg/>");
writeFileSync(join(root, ".secret"), "no");

function request(path: string | undefined, url: string): HttpRequest {
  return new HttpRequest({ method: "GET", url, params: path === undefined ? {} : { path } });
}

describe("web trigger", () => {
  it.each([
    ["", "index.html", "text/html; charset=utf-8"],
    ["app.js", "app.js", "text/javascript; charset=utf-8"],
    ["img/a.svg", "img/a.svg", "image/svg+xml"],
  ])("serves %j with its content type", async (path, file, type) => {
    const response = await serveWebClient(request(path, `http://h/api/web/${path}`), root);
    expect(response.status).toBe(200);
    expect((response.headers as Record<string, string>)["content-type"]).toBe(type);
    expect(response.body).toEqual(Buffer.from(file === "index.html" ? "<!doctype html><title>t</title>" : file === "app.js" ? "console.log(1)" : "<svg/>"));
  });

  it("redirects /api/web to /api/web/ so relative links resolve", async () => {
    const response = await serveWebClient(request(undefined, "http://h/api/web?api=x"), root);
    expect(response).toEqual({ status: 301, headers: { location: "/api/web/?api=x" } });
  });

  it.each([["../package.json"], ["img/../../x"], ["./app.js"], [".secret"], ["a\\b"], ["/etc/passwd"], ["nope.js"], ["img"]])(
    "answers %j with 404 WebAssetNotFound",
    async (path) => {
      const response = await serveWebClient(request(path, "http://h/api/web/x"), root);
      expect(response.status).toBe(404);
      expect((response.jsonBody as { code: string }).code).toBe("WebAssetNotFound");
    },
  );

  it("never resolves outside the root", () => {
    expect(resolveWebAsset(root, "../x")).toBeUndefined();
    expect(resolveWebAsset(root, "img/a.svg")).toBe(join(root, "img", "a.svg"));
  });

  it("says how to build the page when web/dist is missing", async () => {
    const response = await serveWebClient(request("", "http://h/api/web/"), undefined);
    expect(response.status).toBe(404);
    expect(response.jsonBody).toEqual({ code: "WebAssetNotFound", message: "The web test client is not built: run npm run build (it writes web/dist)." });
  });
});
