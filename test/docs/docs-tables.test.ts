import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { envNameOf } from "../../emulator/src/cli-environment";
import { emulatorCliOptions, initSettingsCliOptions } from "../../emulator/src/cli-options";
import { planCliOptions } from "../../planner/plan-args";
import { BILLING_RULES } from "../../emulator/src/metering/usage-report";
import { startCliOptions } from "../../host/start-cli-options";
import { routes } from "../../functions/routes";
import { settingNames } from "../../shared/config";
import { errorCatalogue } from "../../shared/errors";
import { eventsSettingNames } from "../../shared/events-config";

/**
 * Every flag and setting is listed once, in the guide where a user looks for it, and these lists
 * follow the code: each table sits under a marker comment and is compared with the option table
 * or setting list the code itself uses. Adding a flag or a setting means adding a row.
 */
const root = join(__dirname, "..", "..");
const read = (path: string): string => readFileSync(join(root, path), "utf8");
const guides = readdirSync(join(root, "docs")).filter((name) => name.endsWith(".md")).map((name) => `docs/${name}`);

/** Settings the Functions platform reads; documented with the app's own. */
const platformSettings = ["FUNCTIONS_WORKER_RUNTIME", "AzureWebJobsStorage"];

/** The rows of the table right below `<!-- marker: ... -->`, as arrays of trimmed cells. */
function markedTable(path: string, marker: string): string[][] {
  const lines = read(path).split("\n");
  const start = lines.findIndex((line) => line.startsWith(`<!-- ${marker}:`));
  expect(start, `${path} has a "<!-- ${marker}: ... -->" marker`).toBeGreaterThanOrEqual(0);
  const rows: string[][] = [];
  for (const line of lines.slice(start + 1)) {
    if (!line.startsWith("|")) break;
    rows.push(line.split(/(?<!\\)\|/).slice(1, -1).map((cell) => cell.trim()));
  }
  expect(rows.length, `${path}: table under ${marker}`).toBeGreaterThan(2);
  return rows.slice(2);
}

/** `--name` of each row's first cell, sorted; a flag listed twice shows up twice. */
function flagsOf(rows: string[][]): string[] {
  return rows.map((row) => /^`--([a-z0-9-]+)/.exec(row[0])?.[1] ?? `(no flag in "${row[0]}")`).sort();
}

/** UPPER_CASE environment variables a CLI source reads as `env.NAME`. */
function envReadBy(path: string): string[] {
  return [...new Set([...read(path).matchAll(/\benv\.([A-Z][A-Z0-9_]*)\b/g)].map((m) => m[1]))].sort();
}

function envColumn(rows: string[][]): string[] {
  return rows.flatMap((row) => [...row[1].matchAll(/`([A-Z][A-Z0-9_]*)`/g)].map((m) => m[1])).sort();
}

const sorted = (items: Iterable<string>): string[] => [...items].sort();

describe("flag tables follow the CLIs' option tables", () => {
  it("npm run emulator: docs/local-service.md lists every flag of emulator/src/cli-options.ts, once", () => {
    const rows = markedTable("docs/local-service.md", "emulator-flags-table");
    expect(flagsOf(rows)).toEqual(sorted(Object.keys(emulatorCliOptions)));
    // Every flag but --help has its PUBSUB_EMULATOR_* variable, named in the row of its flag.
    const variables = rows.map((row) => [/^`--([a-z0-9-]+)/.exec(row[0])?.[1], [...row[1].matchAll(/`([A-Z][A-Z0-9_]*)`/g)].map((m) => m[1]).join(" ")]);
    expect(variables).toEqual(rows.map((row) => {
      const flag = /^`--([a-z0-9-]+)/.exec(row[0])?.[1];
      return [flag, flag === "help" ? "" : envNameOf(flag!)];
    }));
    expect(read("emulator/src/cli.ts")).not.toMatch(/\benv\.[A-Z]/);
  });

  it("npm run emulator -- init-settings: docs/local-service.md lists its flags", () => {
    expect(flagsOf(markedTable("docs/local-service.md", "init-settings-flags-table"))).toEqual(sorted(Object.keys(initSettingsCliOptions)));
  });

  it("npm start: docs/local-development.md lists every flag of host/start-cli-options.ts, once", () => {
    const rows = markedTable("docs/local-development.md", "start-flags-table");
    expect(flagsOf(rows)).toEqual(sorted(Object.keys(startCliOptions)));
    expect(envColumn(rows)).toEqual(envReadBy("host/start-cli.ts"));
  });

  it("npm run plan: docs/metering.md lists every flag of the planner's option table, once", () => {
    expect(flagsOf(markedTable("docs/metering.md", "plan-flags-table"))).toEqual(sorted(Object.keys(planCliOptions)));
  });

  it("no other table in the docs lists flags", () => {
    const marked = ["emulator-flags-table", "init-settings-flags-table", "start-flags-table", "plan-flags-table"];
    const strays: string[] = [];
    for (const path of [...guides, "README.md"]) {
      let inMarked = false;
      for (const line of read(path).split("\n")) {
        if (line.startsWith("<!-- ")) inMarked = marked.some((marker) => line.startsWith(`<!-- ${marker}:`));
        else if (!line.startsWith("|")) inMarked = false;
        else if (!inMarked && /^\|\s*`--/.test(line)) strays.push(`${path}: ${line}`);
      }
    }
    expect(strays).toEqual([]);
  });
});

describe("the settings table follows the function app's settings", () => {
  const appSettings = sorted([...settingNames, ...eventsSettingNames, ...platformSettings]);

  it("docs/function-app.md lists every setting shared/ reads, once", () => {
    const names = markedTable("docs/function-app.md", "settings-table").map((row) => /^`([A-Za-z_]+)`$/.exec(row[0])?.[1] ?? row[0]);
    expect(sorted(names)).toEqual(appSettings);
    expect(new Set(names).size).toBe(names.length);
  });

  it("local.settings.example.json holds every setting", () => {
    const example = JSON.parse(read("local.settings.example.json")) as { Values: Record<string, string> };
    expect(sorted(Object.keys(example.Values))).toEqual(appSettings);
  });

  it("no other table in the docs lists a setting", () => {
    const strays: string[] = [];
    for (const path of [...guides, "README.md"]) {
      const lines = read(path).split("\n");
      const own = path === "docs/function-app.md" ? new Set(markedTableLines(lines, "settings-table")) : new Set<number>();
      lines.forEach((line, index) => {
        const first = /^\|\s*`([A-Za-z_]+)`\s*\|/.exec(line)?.[1];
        const isHeader = /^\|\s*:?-{3}/.test(lines[index + 1] ?? "");
        if (first && appSettings.includes(first) && !isHeader && !own.has(index)) strays.push(`${path}:${index + 1}: ${line}`);
      });
    }
    expect(strays).toEqual([]);
  });
});

describe("the function app's reference tables follow the code", () => {
  it("docs/function-app.md's triggers table lists every route of functions/routes.ts, once, with its auth level", () => {
    const listed = markedTable("docs/function-app.md", "triggers-table").flatMap((row) =>
      row[0].split(",").map((name) => `${name.trim()} ${row[2]}`),
    );
    expect(sorted(new Set(listed))).toEqual(sorted(routes.map((route) => `${route.name} ${route.authLevel}`)));
  });

  it("docs/function-app.md's errors table lists every code of shared/errors.ts, once, under its status", () => {
    // The codes of a row, leaving out the details in parentheses and the note after a ";".
    const listed = markedTable("docs/function-app.md", "errors-table").flatMap((row) =>
      [...row[1].replace(/\([^)]*\)/g, "").split(";")[0].matchAll(/`([A-Z][A-Za-z]+)`/g)].map((m) => `${m[1]} ${row[0]}`),
    );
    expect(new Set(listed).size).toBe(listed.length);
    expect(sorted(listed)).toEqual(sorted(Object.entries(errorCatalogue).map(([code, entry]) => `${code} ${entry.status}`)));
  });
});

describe("the deployment guide follows the infrastructure templates", () => {
  it("docs/deployment.md lists every parameter of infra/main.bicep and infra/main.json, once", () => {
    const names = markedTable("docs/deployment.md", "infra-parameters-table").map((row) => /^`([A-Za-z]+)`$/.exec(row[0])?.[1] ?? row[0]);
    const bicep = [...read("infra/main.bicep").matchAll(/^param (\w+) /gm)].map((m) => m[1]);
    const arm = Object.keys((JSON.parse(read("infra/main.json")) as { parameters: Record<string, unknown> }).parameters);
    expect(sorted(names)).toEqual(sorted(bicep));
    expect(sorted(names)).toEqual(sorted(arm));
    expect(new Set(names).size).toBe(names.length);
  });
});

function markedTableLines(lines: string[], marker: string): number[] {
  const start = lines.findIndex((line) => line.startsWith(`<!-- ${marker}:`));
  const indexes: number[] = [];
  for (let i = start + 1; i < lines.length && lines[i].startsWith("|"); i++) indexes.push(i);
  return indexes;
}

describe("the docs describe the project, not how it was built", () => {
  const history = [/\bissues? \d+/i, /§/, /\bspec\b/i, /webpubsub-spec|signalr-spec|STYLE\.md/, /other issues/i];

  it.each([...guides, "README.md", "local.settings.example.json", "infra/main.bicep", "infra/main.json"])("%s", (path) => {
    const found = read(path)
      .split("\n")
      .flatMap((line, index) => history.filter((pattern) => pattern.test(line)).map((pattern) => `${index + 1}: ${pattern} in ${line.trim()}`));
    expect(found).toEqual([]);
  });

  it("no source file names an issue, a spec section or a file outside the repository", () => {
    const listed = execFileSync("git", ["ls-files", "functions", "shared", "emulator", "host", "web/src", "web/index.html", "scripts", "bench", "test", ".ci", ".github"], {
      cwd: root,
      encoding: "utf8",
    });
    const self = "test/docs/docs-tables.test.ts";
    const found = listed
      .split("\n")
      .filter((path) => path !== "" && path !== self && existsSync(join(root, path)))
      .flatMap((path) =>
        read(path)
          .split("\n")
          .flatMap((line, index) => (/§|\bissues? \d+\b|(webpubsub|signalr)-spec\.md/i.test(line) ? [`${path}:${index + 1}: ${line.trim()}`] : [])),
      );
    expect(found).toEqual([]);
  });

  it("the /api/usage rules text", () => {
    for (const text of Object.values(BILLING_RULES)) for (const pattern of history) expect(text).not.toMatch(pattern);
  });
});

describe("curl examples show what curl prints", () => {
  it.each([...guides, "README.md"])("%s: a status shown with a body comes after it, printed by -w", (path) => {
    // `curl -s` prints no status; the guides add `-w ' %{http_code}'`, which prints it after the body.
    const statusFirst = read(path)
      .split("\n")
      .flatMap((line, index) => (/^\s*#\s*[1-5]\d\d \{/.test(line) ? [`${index + 1}: ${line.trim()}`] : []));
    expect(statusFirst).toEqual([]);
  });
});

describe("README.md is the front door", () => {
  it("stays under 200 lines, links every guide in docs/ and names the setting that picks the service", () => {
    const readme = read("README.md");
    expect(readme.split("\n").length).toBeLessThan(200);
    expect(guides.filter((guide) => !readme.includes(`](${guide}`))).toEqual([]);
    expect(readme).toContain("`RealtimeService`");
  });
});

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
function anchorOf(heading: string): string {
  return heading.toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, "").replace(/ /g, "-");
}

describe("links between the guides", () => {
  it.each([...guides, "README.md"])("%s links only to files and headings that exist", (path) => {
    const dir = path.includes("/") ? path.slice(0, path.lastIndexOf("/")) : ".";
    const broken: string[] = [];
    for (const [, target] of read(path).matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/.test(target)) continue;
      const [file, anchor] = target.split("#");
      const linked = file === "" ? path : join(dir, file);
      if (!existsSync(join(root, linked))) {
        broken.push(`${target}: no file ${linked}`);
        continue;
      }
      if (anchor === undefined) continue;
      const anchors = read(linked)
        .split("\n")
        .filter((line) => /^#{1,6} /.test(line))
        .map((line) => anchorOf(line.replace(/^#+ /, "")));
      if (!anchors.includes(anchor)) broken.push(`${target}: no heading #${anchor} in ${linked}`);
    }
    expect(broken).toEqual([]);
  });
});
