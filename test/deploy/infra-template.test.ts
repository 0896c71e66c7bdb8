import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { settingNames } from "../../shared/config";
import { eventsSettingNames } from "../../shared/events-config";

/**
 * No Bicep compiler or Azure runs here, so these checks are structural: the ARM JSON is a
 * well-formed deployment template whose expressions parse and whose references resolve, and the
 * Bicep file declares the same parameters, resources, settings and outputs.
 */
const root = join(__dirname, "..", "..");
const bicep = readFileSync(join(root, "infra", "main.bicep"), "utf8");
const arm = JSON.parse(readFileSync(join(root, "infra", "main.json"), "utf8")) as {
  $schema: string;
  contentVersion: string;
  parameters: Record<string, { type: string; defaultValue?: unknown; allowedValues?: string[] }>;
  variables: Record<string, string>;
  resources: { type: string; apiVersion: string; name: string; condition?: string; dependsOn?: string[] }[];
  outputs: Record<string, { type: string; value: string }>;
};

/** Settings the Functions platform reads, not the app. */
const platformSettings = ["AzureWebJobsStorage", "FUNCTIONS_EXTENSION_VERSION", "FUNCTIONS_WORKER_RUNTIME"];
/** Settings of the SignalR support, which the template sets before this branch's code reads them. */
const settingsAwaitingCode = ["RealtimeService", "AzureSignalRConnectionString", "SignalRHub"];

function strings(value: unknown): string[] {
  if (typeof value === "string") return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (value && typeof value === "object") return Object.values(value).flatMap(strings);
  return [];
}

const expressions = strings(arm).filter((text) => text.startsWith("[") && !text.startsWith("[["));

/** Checks an ARM expression's brackets and quotes ('' escapes a quote); returns a problem or "". */
function expressionProblem(text: string): string {
  if (!text.endsWith("]")) return "does not end with ]";
  const stack: string[] = [];
  let inString = false;
  for (let i = 1; i < text.length - 1; i++) {
    const char = text[i];
    if (inString) {
      if (char === "'" && text[i + 1] === "'") i++;
      else if (char === "'") inString = false;
      continue;
    }
    if (char === "'") inString = true;
    else if (char === "(" || char === "[") stack.push(char);
    else if (char === ")" || char === "]") {
      const open = stack.pop();
      if ((char === ")" && open !== "(") || (char === "]" && open !== "[")) return `unbalanced ${char} at ${i}`;
    }
  }
  if (inString) return "unterminated string";
  if (stack.length > 0) return `unclosed ${stack.join("")}`;
  return "";
}

function references(kind: "parameters" | "variables"): string[] {
  return [...new Set(expressions.flatMap((text) => [...text.matchAll(new RegExp(`\\b${kind}\\('([^']+)'\\)`, "g"))].map((m) => m[1])))].sort();
}

function armSettingNames(): string[] {
  const site = arm.resources.find((resource) => resource.type === "Microsoft.Web/sites") as unknown as { properties: { siteConfig: { appSettings: string } } };
  return [...site.properties.siteConfig.appSettings.matchAll(/createObject\('name', '([^']+)'/g)].map((m) => m[1]).sort();
}

describe("infra/main.json (ARM)", () => {
  it("is a resource-group deployment template", () => {
    expect(arm.$schema).toBe("https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#");
    expect(arm.contentVersion).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
  });

  it("has well-formed expressions", () => {
    expect(expressions.length).toBeGreaterThan(20);
    expect(expressions.map((text) => [text, expressionProblem(text)]).filter(([, problem]) => problem !== "")).toEqual([]);
  });

  it("references only declared parameters and variables, and uses every one", () => {
    expect(references("parameters")).toEqual(Object.keys(arm.parameters).sort());
    expect(references("variables")).toEqual(Object.keys(arm.variables).sort());
  });

  it("gives every resource a type, an API version and a name, and depends only on its own resources", () => {
    const types = arm.resources.map((resource) => resource.type);
    for (const resource of arm.resources) {
      expect(resource.type).toMatch(/^Microsoft\.[A-Za-z]+\/[A-Za-z]+(\/[A-Za-z]+)?$/);
      expect(resource.apiVersion).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      expect(resource.name).toMatch(/^\[.+\]$/);
      for (const dependency of resource.dependsOn ?? []) {
        const type = /^\[resourceId\('([^']+)'/.exec(dependency)?.[1];
        expect(types, dependency).toContain(type);
      }
    }
    expect(types.sort()).toEqual([
      "Microsoft.SignalRService/signalR",
      "Microsoft.SignalRService/webPubSub",
      "Microsoft.SignalRService/webPubSub/hubs",
      "Microsoft.Storage/storageAccounts",
      "Microsoft.Web/serverfarms",
      "Microsoft.Web/sites",
    ]);
  });

  it("creates Web PubSub or SignalR by a parameter, and points the hub's event handler at the events trigger", () => {
    expect(arm.parameters.realtimeService.allowedValues).toEqual(["webpubsub", "signalr"]);
    const conditions = Object.fromEntries(arm.resources.filter((r) => r.condition).map((r) => [r.type, r.condition]));
    expect(conditions).toEqual({
      "Microsoft.SignalRService/webPubSub": "[equals(parameters('realtimeService'), 'webpubsub')]",
      "Microsoft.SignalRService/webPubSub/hubs": "[equals(parameters('realtimeService'), 'webpubsub')]",
      "Microsoft.SignalRService/signalR": "[equals(parameters('realtimeService'), 'signalr')]",
    });
    expect(arm.variables.eventHandlerUrl).toBe("[format('https://{0}/api/events/{{hub}}', variables('appHost'))]");
  });

  it("sets only settings the app or the Functions platform reads", () => {
    const known = [...settingNames, ...eventsSettingNames, ...platformSettings, ...settingsAwaitingCode];
    const names = armSettingNames();
    expect(names.filter((name) => !known.includes(name))).toEqual([]);
    expect(names).toContain("WebPubSubConnectionString");
    expect(names).toContain("IdentityMode");
  });
});

describe("infra/main.bicep matches infra/main.json", () => {
  it("declares the same parameters, types, allowed values and literal defaults", () => {
    const params = [...bicep.matchAll(/^param (\w+) (\w+)(?: = (.+))?$/gm)].map((m) => ({ name: m[1], type: m[2], fallback: m[3] }));
    expect(params.map((p) => p.name)).toEqual(Object.keys(arm.parameters));
    for (const param of params) {
      const armParam = arm.parameters[param.name];
      expect(armParam.type, param.name).toBe(param.type);
      if (param.fallback?.startsWith("'") && !param.fallback.includes("${")) expect(armParam.defaultValue, param.name).toBe(param.fallback.slice(1, -1));
    }
    const allowed = [...bicep.matchAll(/@allowed\(\[([^\]]*)\]\)\s*\nparam (\w+)/g)].map((m) => [m[2], [...m[1].matchAll(/'([^']+)'/g)].map((v) => v[1])]);
    expect(Object.fromEntries(allowed)).toEqual(
      Object.fromEntries(Object.entries(arm.parameters).filter(([, p]) => p.allowedValues).map(([name, p]) => [name, p.allowedValues])),
    );
  });

  it("declares the same resources at the same API versions", () => {
    const resources = [...bicep.matchAll(/^resource \w+ '([^@']+)@([^']+)'/gm)].map((m) => `${m[1]}@${m[2]}`).sort();
    expect(resources).toEqual(arm.resources.map((r) => `${r.type}@${r.apiVersion}`).sort());
  });

  it("sets the same app settings and has the same outputs", () => {
    const settingsBlock = bicep.slice(bicep.indexOf("var commonSettings"), bicep.indexOf("output "));
    const names = [...settingsBlock.matchAll(/name: '([^']+)'/g)].map((m) => m[1]).sort();
    expect(names).toEqual(armSettingNames());
    expect([...bicep.matchAll(/^output (\w+) string/gm)].map((m) => m[1])).toEqual(Object.keys(arm.outputs));
  });
});
