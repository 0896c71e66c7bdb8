import { execFileSync } from "node:child_process";
import { expect } from "vitest";

/**
 * Runs a guide's shell examples as a reader does, and checks each shown output. A guide shows a
 * command's output on the `# ` line after it, or as a trailing `# 204`; `…` in it stands for
 * anything, and the ids, dates and ports recorded when the guide was written stand for today's.
 */

/** The fenced blocks of one language in a guide, between a heading and the next given text. */
export function fencedBlocks(guide: string, language: string, fromHeading: string, until: string): string[] {
  const start = guide.indexOf(fromHeading);
  expect(start, fromHeading).toBeGreaterThan(-1);
  const end = guide.indexOf(until, start + fromHeading.length);
  const section = guide.slice(start, end < 0 ? undefined : end);
  return [...section.matchAll(new RegExp("```" + language + "\\n([\\s\\S]*?)```", "g"))].map((match) => match[1]!);
}

export interface ShownStep {
  command: string;
  expected: string | undefined;
}

/** A block's commands (continuation lines joined), the variables it sets, and what each shows. */
export function shownSteps(block: string): { variables: Record<string, string>; steps: ShownStep[]; setup: string[] } {
  const joined = block.replace(/\\\n\s*/g, "");
  const lines = joined.split("\n");
  const variables: Record<string, string> = {};
  const setup: string[] = [];
  const steps: ShownStep[] = [];
  lines.forEach((line, i) => {
    const assignment = /^([A-Z]+)=(\S+)/.exec(line);
    if (assignment) {
      variables[assignment[1]!] = assignment[2]!;
      // Plain values (B, CID) are the reader's to fill in; computed ones (SIG=$(…)) are run.
      if (assignment[2]!.startsWith("$(")) setup.push(line);
      return;
    }
    if (!/^(curl|head) /.test(line)) return;
    const inline = /\s+# (\d{3})\b.*$/.exec(line);
    const next = lines[i + 1]?.startsWith("# ") ? lines[i + 1]!.slice(2) : undefined;
    steps.push({ command: inline ? line.slice(0, inline.index) : line, expected: inline ? inline[1] : next });
  });
  return { variables, steps, setup };
}

export interface Substitutions {
  /** What the guide recorded, and what stands for it today. */
  [recorded: string]: string;
}

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** The shown output as a pattern of the whole output. */
export function shownPattern(expected: string, substitutions: Substitutions): RegExp {
  let text = expected;
  for (const [recorded, today] of Object.entries(substitutions)) text = text.replaceAll(recorded, () => today);
  const pattern = text
    .split("…")
    .map(escapeRegExp)
    .join(".*?")
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\\\.\d{3}Z/g, "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z");
  return new RegExp(`^${pattern}$`);
}

/** Runs one command in bash with the block's computed variables, as the reader's shell would. */
export function runShown(step: ShownStep, setup: string[], env: Record<string, string>): string {
  const output = execFileSync("bash", ["-c", [...setup, step.command].join("\n")], { env: { ...process.env, ...env }, encoding: "utf8", maxBuffer: 4 * 1024 * 1024 }).trimEnd();
  // `curl -sI` prints the headers; the guides show the status line. A record separator is shown as <0x1E>.
  const shown = step.command.startsWith("curl -sI") ? output.split("\r\n")[0]! : output;
  return shown.replaceAll("\u001e", "<0x1E>");
}

/** Runs every step and checks each shown output. */
export function runAndCheck(block: ReturnType<typeof shownSteps>, env: Record<string, string>, substitutions: Substitutions): void {
  for (const step of block.steps) {
    const output = runShown(step, block.setup, env);
    if (step.expected !== undefined) expect(output, step.command).toMatch(shownPattern(step.expected, substitutions));
  }
}
