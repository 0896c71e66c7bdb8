import { ReadableStream } from "node:stream/web";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HttpResponse, type HttpRequest } from "@azure/functions";
import type { RouteDefinition } from "../../functions/route-table-types";
import { chooseRoute, compileRouteTable, createFunctionsHost, type FunctionsHost } from "../../host/functions-host";
import { compileRouteTemplate, RouteTemplateError } from "../../host/route-template";
import { applySettingValues, LocalSettingsError, parseLocalSettings } from "../../host/local-settings";
import { hostErrors } from "../../host/host-errors";

const echo = async (request: HttpRequest) => ({
  jsonBody: {
    method: request.method,
    params: request.params,
    groups: request.query.getAll("group"),
    contentType: request.headers.get("content-type"),
    body: request.method === "GET" ? null : await request.text(),
  },
});

const routes: RouteDefinition[] = [
  { name: "echoUser", methods: ["GET", "PUT"], route: "groups/{group}/users/{userId}", authLevel: "anonymous", handler: echo },
  { name: "echoOptional", methods: ["GET"], route: "items/{id?}", authLevel: "anonymous", handler: echo },
  { name: "files", methods: ["GET"], route: "files/{*path}", authLevel: "anonymous", handler: echo },
  { name: "filesRoot", methods: ["GET"], route: "files", authLevel: "anonymous", handler: () => ({ status: 302, headers: { location: "/api/files/" } }) },
  { name: "secret", methods: ["POST"], route: "secret", authLevel: "function", handler: echo },
  {
    name: "stream",
    methods: ["GET"],
    route: "stream",
    authLevel: "anonymous",
    handler: () =>
      new HttpResponse({
        status: 201,
        headers: { "content-type": "application/octet-stream" },
        body: new ReadableStream<Uint8Array>({
          start(controller) {
            controller.enqueue(new Uint8Array([1, 2]));
            controller.enqueue(new Uint8Array([3]));
            controller.close();
          },
        }),
        cookies: [{ name: "a", value: "b", httpOnly: true, path: "/" }],
      }),
  },
  { name: "text", methods: ["GET", "HEAD"], route: "text", authLevel: "anonymous", handler: () => ({ body: "héllo" }) },
  { name: "boom", methods: ["GET"], route: "boom", authLevel: "anonymous", handler: () => { throw new Error("kaboom"); } },
];

let host: FunctionsHost;
const logged: string[] = [];

beforeAll(async () => {
  host = await createFunctionsHost({
    routes,
    port: 0,
    functionKeys: ["k-one", "k-two"],
    cors: { allowedOrigins: ["http://allowed.example"] },
    maxRequestBodyBytes: 16,
    logger: { info: (m) => logged.push(m), warn: (m) => logged.push(m), error: (m) => logged.push(m) },
  });
});
afterAll(async () => {
  await host.close();
});

describe("route templates", () => {
  it.each([
    ["groups/{group}/users/{userId}", "/groups/g%201/users/a%2Fb", { group: "g 1", userId: "a/b" }],
    ["GROUPS/{group}", "/groups/x", { group: "x" }],
    ["items/{id?}", "/items", {}],
    ["items/{id?}", "/items/7", { id: "7" }],
    ["items/{id:int}", "/items/7", { id: "7" }],
    ["files/{*path}", "/files/a/b%20c.js", { path: "a/b c.js" }],
    ["files/{*path}", "/files", {}],
    ["items/{id}", "/items", null],
    ["items/{id}", "/items/1/2", null],
    ["items/{id}", "/items/%E0%A4%A", null],
  ])("%s matches %s", (template, path, expected) => {
    expect(compileRouteTemplate(template).match(path)).toEqual(expected);
  });

  it.each([["a/{*rest}/b"], ["{x?}/b"], ["a/{x}{y}"], ["a/{x}/{X}"], ["a//b"]])("rejects %s", (template) => {
    expect(() => compileRouteTemplate(template)).toThrow(RouteTemplateError);
  });

  it("prefers literal segments over parameters over catch-alls", () => {
    const order = ["{*all}", "a/{x}", "a/b", "a"].map((t) => compileRouteTemplate(t)).sort((x, y) => x.precedence - y.precedence);
    expect(order.map((r) => r.template)).toEqual(["a", "a/b", "a/{x}", "{*all}"]);
  });
});

describe("choosing a route", () => {
  const table = compileRouteTable([
    { name: "userById", methods: ["GET"], route: "users/{id}", authLevel: "anonymous", handler: echo },
    { name: "usersMe", methods: ["GET", "PUT"], route: "users/me", authLevel: "anonymous", handler: echo },
    { name: "userDelete", methods: ["DELETE"], route: "users/{id}", authLevel: "anonymous", handler: echo },
    { name: "anything", methods: ["POST"], route: "{*rest}", authLevel: "anonymous", handler: echo },
  ]);
  const outcome = (path: string | null, method: string) => {
    const choice = chooseRoute(table, path, method);
    return choice.kind === "chosen" ? { kind: choice.kind, name: choice.route.definition.name, params: choice.params } : choice;
  };

  it.each([
    ["/users/me", "GET", { kind: "chosen", name: "usersMe", params: {} }],
    ["/users/7", "GET", { kind: "chosen", name: "userById", params: { id: "7" } }],
    ["/users/7", "DELETE", { kind: "chosen", name: "userDelete", params: { id: "7" } }],
    ["/users/me", "DELETE", { kind: "chosen", name: "userDelete", params: { id: "me" } }],
    ["/users/7", "POST", { kind: "chosen", name: "anything", params: { rest: "users/7" } }],
    ["/users/me", "PATCH", { kind: "wrong-method", allow: ["GET", "PUT", "DELETE", "POST"] }],
    ["/users/7", "PUT", { kind: "wrong-method", allow: ["GET", "DELETE", "POST"] }],
  ] as const)("%s %s", (path, method, expected) => {
    expect(outcome(path, method)).toEqual(expected);
  });

  it("finds nothing outside the route prefix", () => {
    expect(outcome(null, "GET")).toEqual({ kind: "no-route" });
  });

  it("stops at the first route that fits: later templates are never tried", () => {
    const tried: string[] = [];
    const counted = table.map((route) => ({
      ...route,
      compiled: { ...route.compiled, match: (path: string) => (tried.push(route.definition.name), route.compiled.match(path)) },
    }));
    expect(chooseRoute(counted, "/users/me", "GET").kind).toBe("chosen");
    expect(tried).toEqual(["usersMe"]);
  });
});

describe("local.settings.json", () => {
  it("reads Values and Host like Core Tools", () => {
    const settings = parseLocalSettings(
      JSON.stringify({ IsEncrypted: false, Values: { A: "1", B: 2 }, Host: { CORS: "http://a, http://b", CORSCredentials: true, LocalHttpPort: 7072 } }),
    );
    expect(settings).toEqual({ values: { A: "1", B: "2" }, cors: ["http://a", "http://b"], corsCredentials: true, localHttpPort: 7072 });
  });

  it("never overrides a variable that is already set", () => {
    const env: NodeJS.ProcessEnv = { A: "from-env" };
    expect(applySettingValues({ A: "file", C: "file" }, env)).toEqual(["C"]);
    expect(env).toEqual({ A: "from-env", C: "file" });
  });

  it.each([
    ["{", /not valid JSON/],
    ["[]", /must hold a JSON object/],
    [JSON.stringify({ IsEncrypted: true }), /encrypted/],
    [JSON.stringify({ Values: { A: {} } }), /Values\.A must be a string/],
    [JSON.stringify({ Host: { LocalHttpPort: "x" } }), /LocalHttpPort/],
  ])("rejects %s with a clear message", (text, message) => {
    expect(() => parseLocalSettings(text)).toThrow(LocalSettingsError);
    expect(() => parseLocalSettings(text)).toThrow(message);
  });
});

describe("functions host", () => {
  it("passes route parameters, repeated query values and the body to the handler", async () => {
    const res = await fetch(`${host.url}/api/groups/g%201/users/u%2F1?group=a&group=b`, {
      method: "PUT",
      headers: { "content-type": "text/plain" },
      body: "hi",
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/json");
    expect(await res.json()).toEqual({ method: "PUT", params: { group: "g 1", userId: "u/1" }, groups: ["a", "b"], contentType: "text/plain", body: "hi" });
  });

  it("serves optional and catch-all parameters, and literal routes first", async () => {
    expect((await (await fetch(`${host.url}/api/items`)).json()).params).toEqual({});
    expect((await (await fetch(`${host.url}/api/files/a/b.css`)).json()).params).toEqual({ path: "a/b.css" });
    const root = await fetch(`${host.url}/api/files`, { redirect: "manual" });
    expect(root.status).toBe(302);
    expect(root.headers.get("location")).toBe("/api/files/");
  });

  it("answers unknown paths with 404 and wrong methods with 405 and Allow", async () => {
    const missing = await fetch(`${host.url}/api/nope`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ code: "RouteNotFound", message: hostErrors.RouteNotFound.message });
    expect((await fetch(`${host.url}/elsewhere`)).status).toBe(404);
    const wrong = await fetch(`${host.url}/api/items/1`, { method: "DELETE" });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get("allow")).toBe("GET");
    expect((await wrong.json()).code).toBe("MethodNotAllowed");
  });

  it("requires a function key for non-anonymous triggers, by header or ?code=", async () => {
    const none = await fetch(`${host.url}/api/secret`, { method: "POST" });
    expect(none.status).toBe(401);
    expect((await none.json()).code).toBe("FunctionKeyRequired");
    expect((await fetch(`${host.url}/api/secret`, { method: "POST", headers: { "x-functions-key": "k-onf" } })).status).toBe(401);
    expect((await fetch(`${host.url}/api/secret`, { method: "POST", headers: { "x-functions-key": "k-two" } })).status).toBe(200);
    expect((await fetch(`${host.url}/api/secret?code=k-one`, { method: "POST" })).status).toBe(200);
    expect((await fetch(`${host.url}/api/items`)).status).toBe(200);
  });

  it("answers CORS preflights for allowed origins and refuses others", async () => {
    const preflight = await fetch(`${host.url}/api/secret`, {
      method: "OPTIONS",
      headers: { origin: "http://allowed.example", "access-control-request-method": "POST", "access-control-request-headers": "x-functions-key, content-type" },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-origin")).toBe("http://allowed.example");
    expect(preflight.headers.get("access-control-allow-methods")).toBe("POST");
    expect(preflight.headers.get("access-control-allow-headers")).toBe("x-functions-key, content-type");
    const refused = await fetch(`${host.url}/api/secret`, { method: "OPTIONS", headers: { origin: "http://evil.example", "access-control-request-method": "POST" } });
    expect(refused.status).toBe(403);
    const simple = await fetch(`${host.url}/api/items`, { headers: { origin: "http://allowed.example" } });
    expect(simple.headers.get("access-control-allow-origin")).toBe("http://allowed.example");
    const other = await fetch(`${host.url}/api/items`, { headers: { origin: "http://evil.example" } });
    expect(other.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("streams response bodies with status, headers and cookies", async () => {
    const res = await fetch(`${host.url}/api/stream`);
    expect(res.status).toBe(201);
    expect(res.headers.get("set-cookie")).toBe("a=b; Path=/; HttpOnly");
    expect([...new Uint8Array(await res.arrayBuffer())]).toEqual([1, 2, 3]);
  });

  it("sends string bodies as UTF-8 and omits the body for HEAD", async () => {
    const res = await fetch(`${host.url}/api/text`);
    expect(res.headers.get("content-type")).toBe("text/plain;charset=UTF-8");
    expect(await res.text()).toBe("héllo");
    const head = await fetch(`${host.url}/api/text`, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe("");
  });

  it("refuses a body over the host limit with 413 and a thrown handler with 500", async () => {
    const big = await fetch(`${host.url}/api/groups/g/users/u`, { method: "PUT", body: "x".repeat(17) });
    expect(big.status).toBe(413);
    expect((await big.json()).code).toBe("RequestTooLarge");
    const exact = await fetch(`${host.url}/api/groups/g/users/u`, { method: "PUT", body: "x".repeat(16) });
    expect((await exact.json()).body).toBe("x".repeat(16));
    const boom = await fetch(`${host.url}/api/boom`);
    expect(boom.status).toBe(500);
    expect(await boom.json()).toEqual({ code: "FunctionFailed", message: hostErrors.FunctionFailed.message });
    expect(logged.some((line) => line.includes("[boom] failed: Error: kaboom"))).toBe(true);
  });
});
