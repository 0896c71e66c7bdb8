import type { FilterFunctionName, FilterNode } from "./filter-ast";
import { FilterSyntaxError } from "./filter-syntax-error";

/** Static type of an expression. `null` is the type of the literal null, compatible with any scalar. */
export type FilterType = "string" | "number" | "boolean" | "null" | "collection";

type Signature = { params: Array<"string" | "number">; optional?: number; returns: FilterType };

const SIGNATURES: Record<FilterFunctionName, Signature> = {
  length: { params: ["string"], returns: "number" },
  indexof: { params: ["string", "string"], returns: "number" },
  concat: { params: ["string", "string"], returns: "string" },
  contains: { params: ["string", "string"], returns: "boolean" },
  startswith: { params: ["string", "string"], returns: "boolean" },
  endswith: { params: ["string", "string"], returns: "boolean" },
  substring: { params: ["string", "number", "number"], optional: 1, returns: "string" },
  tolower: { params: ["string"], returns: "string" },
  toupper: { params: ["string"], returns: "string" },
  trim: { params: ["string"], returns: "string" },
};

/** Rejects filters that parse but mean nothing (`userId and 1`, `length(3)`, a non-boolean filter). */
export function checkFilter(node: FilterNode): void {
  const type = typeOf(node);
  if (type !== "boolean") throw new FilterSyntaxError(`the filter must be a boolean expression, not a ${type}`, node.at);
}

function typeOf(node: FilterNode): FilterType {
  switch (node.kind) {
    case "literal":
      return node.value === null ? "null" : (typeof node.value as "string" | "number" | "boolean");
    case "field":
      return "string";
    case "groups":
      return "collection";
    case "not":
      requireType(node.operand, ["boolean"], "'not' needs a boolean operand");
      return "boolean";
    case "logical":
      requireType(node.left, ["boolean"], `'${node.operator}' needs boolean operands`);
      requireType(node.right, ["boolean"], `'${node.operator}' needs boolean operands`);
      return "boolean";
    case "compare":
      checkComparison(node.operator, node.left, node.right);
      return "boolean";
    case "inList": {
      const item = scalar(node.item, "'in'");
      for (const element of node.list) {
        const t = scalar(element, "'in'");
        if (!compatible(item, t)) throw new FilterSyntaxError(`cannot look for a ${item} in a list holding a ${t}`, element.at);
      }
      return "boolean";
    }
    case "inGroups":
      requireType(node.item, ["string", "null"], "'in groups' needs a string on its left");
      return "boolean";
    case "call":
      return checkCall(node.name, node.args, node.at);
    default: {
      const _never: never = node;
      return _never;
    }
  }
}

function checkComparison(operator: string, left: FilterNode, right: FilterNode): void {
  const l = scalar(left, `'${operator}'`);
  const r = scalar(right, `'${operator}'`);
  if (!compatible(l, r)) throw new FilterSyntaxError(`cannot compare a ${l} with a ${r} using '${operator}'`, right.at);
  if (operator !== "eq" && operator !== "ne" && (l === "boolean" || r === "boolean")) {
    throw new FilterSyntaxError(`'${operator}' cannot order booleans`, left.at);
  }
}

function checkCall(name: FilterFunctionName, args: FilterNode[], at: number): FilterType {
  const { params, optional = 0, returns } = SIGNATURES[name];
  const min = params.length - optional;
  if (args.length < min || args.length > params.length) {
    const expected = optional ? `${min} or ${params.length}` : `${params.length}`;
    throw new FilterSyntaxError(`${name}() takes ${expected} argument${expected === "1" ? "" : "s"}, got ${args.length}`, at);
  }
  args.forEach((arg, i) => requireType(arg, [params[i], "null"], `argument ${i + 1} of ${name}() must be a ${params[i]}`));
  return returns;
}

function scalar(node: FilterNode, where: string): FilterType {
  const t = typeOf(node);
  if (t === "collection") throw new FilterSyntaxError(`groups is a collection and cannot be used with ${where}; write 'name' in groups`, node.at);
  return t;
}

function requireType(node: FilterNode, allowed: FilterType[], message: string): void {
  const t = typeOf(node);
  if (!allowed.includes(t)) throw new FilterSyntaxError(`${message} (found a ${t})`, node.at);
}

function compatible(a: FilterType, b: FilterType): boolean {
  return a === b || a === "null" || b === "null";
}
