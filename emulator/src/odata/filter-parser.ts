import type { ComparisonOperator, FilterField, FilterFunctionName, FilterNode } from "./filter-ast";
import { FilterSyntaxError } from "./filter-syntax-error";
import { tokenizeFilter, type FilterToken } from "./filter-tokens";

const COMPARISON_OPERATORS: ReadonlySet<string> = new Set<ComparisonOperator>(["eq", "ne", "gt", "ge", "lt", "le"]);
const FIELDS: ReadonlySet<string> = new Set<FilterField>(["connectionId", "userId", "protocol"]);
const FUNCTIONS: ReadonlySet<string> = new Set<FilterFunctionName>([
  "length", "indexof", "concat", "contains", "startswith", "endswith", "substring", "tolower", "toupper", "trim",
]);
/** Deep enough for any hand-written filter, shallow enough that a hostile one cannot exhaust the stack. */
const MAX_DEPTH = 64;

/**
 * Parses the OData filter subset of the REST API into an AST. Precedence, loosest first:
 * `or`, `and`, `not`, comparisons and `in`, then operands (literals, fields, calls, parentheses).
 */
export function parseFilter(text: string): FilterNode {
  return new FilterParser(tokenizeFilter(text)).parseAll();
}

class FilterParser {
  private index = 0;
  private depth = 0;

  constructor(private readonly tokens: FilterToken[]) {}

  parseAll(): FilterNode {
    const first = this.peek();
    if (first.kind === "end") throw new FilterSyntaxError("the filter is empty", first.at);
    const node = this.parseOr();
    const rest = this.peek();
    if (rest.kind !== "end") throw new FilterSyntaxError(`unexpected ${describe(rest)}`, rest.at);
    return node;
  }

  private parseOr(): FilterNode {
    let left = this.parseAnd();
    for (let t = this.peek(); isWord(t, "or"); t = this.peek()) {
      this.index++;
      left = { kind: "logical", operator: "or", left, right: this.parseAnd(), at: t.at };
    }
    return left;
  }

  private parseAnd(): FilterNode {
    let left = this.parseNot();
    for (let t = this.peek(); isWord(t, "and"); t = this.peek()) {
      this.index++;
      left = { kind: "logical", operator: "and", left, right: this.parseNot(), at: t.at };
    }
    return left;
  }

  private parseNot(): FilterNode {
    const t = this.peek();
    if (!isWord(t, "not")) return this.parseComparison();
    this.index++;
    return this.nested(t.at, () => ({ kind: "not", operand: this.parseNot(), at: t.at }));
  }

  private parseComparison(): FilterNode {
    const left = this.parseOperand();
    const t = this.peek();
    if (t.kind !== "word") return left;
    if (COMPARISON_OPERATORS.has(t.value)) {
      this.index++;
      return { kind: "compare", operator: t.value as ComparisonOperator, left, right: this.parseOperand(), at: t.at };
    }
    if (t.value === "in") {
      this.index++;
      return this.parseInTarget(left, t.at);
    }
    return left;
  }

  private parseInTarget(item: FilterNode, at: number): FilterNode {
    const t = this.peek();
    if (isWord(t, "groups")) {
      this.index++;
      return { kind: "inGroups", item, at };
    }
    if (t.kind !== "open") throw new FilterSyntaxError(`expected 'groups' or '(' after 'in' but found ${describe(t)}`, t.at);
    this.index++;
    const list = this.parseArguments();
    if (list.length === 0) throw new FilterSyntaxError("the list after 'in' is empty", t.at);
    return { kind: "inList", item, list, at };
  }

  private parseOperand(): FilterNode {
    const t = this.next();
    switch (t.kind) {
      case "string":
      case "number":
        return { kind: "literal", value: t.value, at: t.at };
      case "open":
        return this.nested(t.at, () => {
          const inner = this.parseOr();
          this.expect("close", "')'");
          return inner;
        });
      case "word":
        return this.parseWord(t.value, t.at);
      case "close":
      case "comma":
      case "end":
        throw new FilterSyntaxError(`expected a value but found ${describe(t)}`, t.at);
      default: {
        const _never: never = t;
        return _never;
      }
    }
  }

  private parseWord(word: string, at: number): FilterNode {
    if (word === "true" || word === "false") return { kind: "literal", value: word === "true", at };
    if (word === "null") return { kind: "literal", value: null, at };
    if (word === "groups") return { kind: "groups", at };
    if (FIELDS.has(word)) return { kind: "field", field: word as FilterField, at };
    if (this.peek().kind === "open") {
      if (!FUNCTIONS.has(word)) throw new FilterSyntaxError(`unknown function '${word}'`, at);
      this.index++;
      return this.nested(at, () => ({ kind: "call", name: word as FilterFunctionName, args: this.parseArguments(), at }));
    }
    throw new FilterSyntaxError(`unknown identifier '${word}' (expected connectionId, userId, protocol or groups)`, at);
  }

  /** After '(' : a comma-separated list up to and including ')'. */
  private parseArguments(): FilterNode[] {
    const args: FilterNode[] = [];
    if (this.peek().kind === "close") {
      this.index++;
      return args;
    }
    for (;;) {
      args.push(this.parseOr());
      const t = this.next();
      if (t.kind === "close") return args;
      if (t.kind !== "comma") throw new FilterSyntaxError(`expected ',' or ')' but found ${describe(t)}`, t.at);
    }
  }

  private nested<T>(at: number, parse: () => T): T {
    if (++this.depth > MAX_DEPTH) throw new FilterSyntaxError(`nesting deeper than ${MAX_DEPTH} levels`, at);
    try {
      return parse();
    } finally {
      this.depth--;
    }
  }

  private expect(kind: FilterToken["kind"], what: string): FilterToken {
    const t = this.next();
    if (t.kind !== kind) throw new FilterSyntaxError(`expected ${what} but found ${describe(t)}`, t.at);
    return t;
  }

  private peek(): FilterToken {
    return this.tokens[this.index];
  }

  private next(): FilterToken {
    const t = this.tokens[this.index];
    if (t.kind !== "end") this.index++;
    return t;
  }
}

function isWord(t: FilterToken, word: string): boolean {
  return t.kind === "word" && t.value === word;
}

function describe(t: FilterToken): string {
  switch (t.kind) {
    case "open":
      return "'('";
    case "close":
      return "')'";
    case "comma":
      return "','";
    case "string":
      return "a string literal";
    case "number":
      return `the number ${t.value}`;
    case "word":
      return `'${t.value}'`;
    case "end":
      return "the end of the filter";
    default: {
      const _never: never = t;
      return _never;
    }
  }
}
