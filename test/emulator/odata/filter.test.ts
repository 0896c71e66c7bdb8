import { describe, expect, it } from "vitest";
import { compileFilter, FilterSyntaxError, type FilterSubject } from "../../../emulator/src/odata/filter";

const alice: FilterSubject = { connectionId: "c1", userId: "alice", groups: new Set(["g1", "room 2"]), protocol: "json.webpubsub.azure.v1" };
const anon: FilterSubject = { connectionId: "c2", userId: null, groups: new Set(), protocol: undefined };
const vic: FilterSubject = { connectionId: "C3", userId: "vic's", groups: new Set(["g2"]), protocol: "json.reliable.webpubsub.azure.v1" };
const subjects = { alice, anon, vic };
type Name = keyof typeof subjects;

function selected(filter: string): Name[] {
  const predicate = compileFilter(filter);
  return (Object.keys(subjects) as Name[]).filter((name) => predicate(subjects[name]));
}

describe("compileFilter selects exactly the matching connections", () => {
  it.each<[string, Name[]]>([
    ["userId eq 'alice'", ["alice"]],
    ["userId ne 'alice'", ["anon", "vic"]],
    ["userId eq null", ["anon"]],
    ["userId ne null", ["alice", "vic"]],
    ["userId eq 'vic''s'", ["vic"]],
    ["connectionId eq 'c1' or connectionId eq 'c2'", ["alice", "anon"]],
    ["connectionId in ('c1', 'C3')", ["alice", "vic"]],
    ["userId in ('alice', null)", ["alice", "anon"]],
    ["'g1' in groups", ["alice"]],
    ["'room 2' in groups and userId eq 'alice'", ["alice"]],
    ["not ('g1' in groups)", ["anon", "vic"]],
    ["not 'g1' in groups", ["anon", "vic"]],
    ["'g1' in groups or 'g2' in groups", ["alice", "vic"]],
    ["userId in groups", []],
    ["userId gt 'b'", ["vic"]],
    ["userId ge 'alice'", ["alice", "vic"]],
    ["userId lt 'b'", ["alice"]],
    ["userId le 'vic''s'", ["alice", "vic"]],
    ["connectionId gt 'a'", ["alice", "anon"]],
    ["length(userId) eq 5", ["alice", "vic"]],
    ["length(userId) gt 5", []],
    ["indexof(userId, 'ic') eq 1", ["vic"]],
    ["indexof(connectionId, 'x') eq -1", ["alice", "anon", "vic"]],
    ["concat(userId, '!') eq 'alice!'", ["alice"]],
    ["contains(userId, 'lic')", ["alice"]],
    ["startswith(userId, 'v')", ["vic"]],
    ["endswith(connectionId, '2')", ["anon"]],
    ["substring(userId, 1) eq 'lice'", ["alice"]],
    ["substring(userId, 1, 2) eq 'li'", ["alice"]],
    ["tolower(connectionId) eq 'c3'", ["vic"]],
    ["toupper(userId) eq 'ALICE'", ["alice"]],
    ["trim(concat(' ', userId)) eq 'alice'", ["alice"]],
    ["protocol eq 'json.webpubsub.azure.v1'", ["alice"]],
    ["protocol eq null", ["anon"]],
    ["true", ["alice", "anon", "vic"]],
    ["false", []],
    ["true eq true", ["alice", "anon", "vic"]],
    ["1 lt 2 and (userId eq 'alice' or userId eq 'vic''s')", ["alice", "vic"]],
    ["  userId   eq\t'alice'  ", ["alice"]],
    // OData three-valued logic: a function of null is null, and `not null` stays null.
    ["contains(userId, 'z')", []],
    ["not contains(userId, 'z')", ["alice", "vic"]],
    ["not contains(userId, 'z') or userId eq null", ["alice", "anon", "vic"]],
    ["contains(userId, 'a') and connectionId ne 'x'", ["alice"]],
  ])("%s", (filter, expected) => {
    expect(selected(filter)).toEqual(expected);
  });
});

describe("compileFilter rejects bad filters with what and where", () => {
  it.each<[string, string]>([
    ["", "Invalid filter: the filter is empty at position 1."],
    ["   ", "Invalid filter: the filter is empty at position 4."],
    ["userId eq 'alice", "Invalid filter: unterminated string literal at position 11."],
    ["userId eq", "Invalid filter: expected a value but found the end of the filter at position 10."],
    ["userId == 'a'", "Invalid filter: unexpected character '=' at position 8."],
    ["userid eq 'a'", "Invalid filter: unknown identifier 'userid' (expected connectionId, userId, protocol or groups) at position 1."],
    ["foo('a')", "Invalid filter: unknown function 'foo' at position 1."],
    ["userId eq 'a' userId", "Invalid filter: unexpected 'userId' at position 15."],
    ["(userId eq 'a'", "Invalid filter: expected ')' but found the end of the filter at position 15."],
    ["userId eq 'a')", "Invalid filter: unexpected ')' at position 14."],
    ["userId", "Invalid filter: the filter must be a boolean expression, not a string at position 1."],
    ["length(userId)", "Invalid filter: the filter must be a boolean expression, not a number at position 1."],
    ["userId eq 1", "Invalid filter: cannot compare a string with a number using 'eq' at position 11."],
    ["userId and true", "Invalid filter: 'and' needs boolean operands (found a string) at position 1."],
    ["not userId", "Invalid filter: 'not' needs a boolean operand (found a string) at position 5."],
    ["groups eq 'g1'", "Invalid filter: groups is a collection and cannot be used with 'eq'; write 'name' in groups at position 1."],
    ["1 in groups", "Invalid filter: 'in groups' needs a string on its left (found a number) at position 1."],
    ["userId in ()", "Invalid filter: the list after 'in' is empty at position 11."],
    ["userId in ('a', 1)", "Invalid filter: cannot look for a string in a list holding a number at position 17."],
    ["userId in 'a'", "Invalid filter: expected 'groups' or '(' after 'in' but found a string literal at position 11."],
    ["length()  eq 1", "Invalid filter: length() takes 1 argument, got 0 at position 1."],
    ["substring(userId) eq 'a'", "Invalid filter: substring() takes 2 or 3 arguments, got 1 at position 1."],
    ["contains(userId, 1)", "Invalid filter: argument 2 of contains() must be a string (found a number) at position 18."],
    ["true gt false", "Invalid filter: 'gt' cannot order booleans at position 1."],
    ["length(userId) eq 1.5", "Invalid filter: only integer numbers are supported at position 19."],
    ["length(userId) eq 99999999999999999999", "Invalid filter: integer out of range at position 19."],
    ["userId eq 'a',", "Invalid filter: unexpected ',' at position 14."],
    ["Userid eq 'a' AND true", "Invalid filter: unknown identifier 'Userid' (expected connectionId, userId, protocol or groups) at position 1."],
    ["userId eq 'a' AND true", "Invalid filter: unexpected 'AND' at position 15."],
  ])("%j", (filter, message) => {
    let caught: unknown;
    try {
      compileFilter(filter);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(FilterSyntaxError);
    expect((caught as Error).message).toBe(message);
  });

  it("refuses nesting deeper than 64 levels instead of overflowing the stack", () => {
    expect(() => compileFilter("(".repeat(64) + "true" + ")".repeat(64))).not.toThrow();
    expect(() => compileFilter("(".repeat(65) + "true" + ")".repeat(65))).toThrow("nesting deeper than 64 levels at position 65");
    expect(() => compileFilter("not ".repeat(100) + "true")).toThrow(FilterSyntaxError);
    expect(() => compileFilter("(".repeat(100_000))).toThrow(FilterSyntaxError);
  });

  it("survives the filter the SDK's odata tag produces for a quote", () => {
    expect(compileFilter("userId ne 'vic''s'")(vic)).toBe(false);
    expect(compileFilter("userId ne 'vic''s'")(alice)).toBe(true);
  });
});
