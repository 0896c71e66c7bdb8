import type { FilterFunctionName, FilterNode } from "./filter-ast";

/** What a filter is evaluated against: one connection. */
export interface FilterSubject {
  connectionId: string;
  userId: string | null;
  groups: ReadonlySet<string>;
  protocol?: string;
}

type Value = string | number | boolean | null;
type Evaluate = (subject: FilterSubject) => Value;

/**
 * Turns a type-checked AST into a closure tree, so a filter evaluated once per recipient
 * does no parsing or dispatch on node kinds. `null` propagates through functions and
 * `and`/`or`/`not` follow OData's three-valued logic; only `true` selects a connection.
 */
export function compileNode(node: FilterNode): Evaluate {
  switch (node.kind) {
    case "literal": {
      const value = node.value;
      return () => value;
    }
    case "field":
      switch (node.field) {
        case "connectionId":
          return (s) => s.connectionId;
        case "userId":
          return (s) => s.userId;
        case "protocol":
          return (s) => s.protocol ?? null;
        default: {
          const _never: never = node.field;
          return _never;
        }
      }
    case "groups":
      // The type checker only lets `groups` appear as the target of `in`.
      return () => null;
    case "not": {
      const operand = compileNode(node.operand);
      return (s) => {
        const v = operand(s);
        return v === null ? null : !v;
      };
    }
    case "logical":
      return compileLogical(node.operator, compileNode(node.left), compileNode(node.right));
    case "compare":
      return compileComparison(node.operator, compileNode(node.left), compileNode(node.right));
    case "inList": {
      const item = compileNode(node.item);
      const list = node.list.map(compileNode);
      return (s) => {
        const v = item(s);
        return list.some((element) => element(s) === v);
      };
    }
    case "inGroups": {
      const item = compileNode(node.item);
      return (s) => {
        const v = item(s);
        return typeof v === "string" && s.groups.has(v);
      };
    }
    case "call":
      return compileCall(node.name, node.args.map(compileNode));
    default: {
      const _never: never = node;
      return _never;
    }
  }
}

function compileLogical(operator: "and" | "or", left: Evaluate, right: Evaluate): Evaluate {
  if (operator === "and") {
    return (s) => {
      const l = left(s);
      if (l === false) return false;
      const r = right(s);
      if (r === false) return false;
      return l === null || r === null ? null : true;
    };
  }
  return (s) => {
    const l = left(s);
    if (l === true) return true;
    const r = right(s);
    if (r === true) return true;
    return l === null || r === null ? null : false;
  };
}

function compileComparison(operator: string, left: Evaluate, right: Evaluate): Evaluate {
  switch (operator) {
    case "eq":
      return (s) => left(s) === right(s);
    case "ne":
      return (s) => left(s) !== right(s);
    default: {
      const order = ordering(operator);
      return (s) => {
        const l = left(s);
        const r = right(s);
        if (l === null || r === null) return false;
        return order(l < r ? -1 : l > r ? 1 : 0);
      };
    }
  }
}

function ordering(operator: string): (cmp: number) => boolean {
  switch (operator) {
    case "gt":
      return (c) => c > 0;
    case "ge":
      return (c) => c >= 0;
    case "lt":
      return (c) => c < 0;
    default:
      return (c) => c <= 0;
  }
}

function compileCall(name: FilterFunctionName, args: Evaluate[]): Evaluate {
  const [a, b, c] = args;
  switch (name) {
    case "length":
      return strict1(a, (x) => (x as string).length);
    case "tolower":
      return strict1(a, (x) => (x as string).toLowerCase());
    case "toupper":
      return strict1(a, (x) => (x as string).toUpperCase());
    case "trim":
      return strict1(a, (x) => (x as string).trim());
    case "indexof":
      return strict2(a, b, (x, y) => (x as string).indexOf(y as string));
    case "concat":
      return strict2(a, b, (x, y) => (x as string) + (y as string));
    case "contains":
      return strict2(a, b, (x, y) => (x as string).includes(y as string));
    case "startswith":
      return strict2(a, b, (x, y) => (x as string).startsWith(y as string));
    case "endswith":
      return strict2(a, b, (x, y) => (x as string).endsWith(y as string));
    case "substring":
      return (s) => {
        const text = a(s);
        const start = b(s);
        const length = c === undefined ? undefined : c(s);
        if (text === null || start === null || length === null) return null;
        const from = Math.max(0, start as number);
        return length === undefined ? (text as string).slice(from) : (text as string).slice(from, from + Math.max(0, length as number));
      };
    default: {
      const _never: never = name;
      return _never;
    }
  }
}

function strict1(a: Evaluate, f: (x: Value) => Value): Evaluate {
  return (s) => {
    const x = a(s);
    return x === null ? null : f(x);
  };
}

function strict2(a: Evaluate, b: Evaluate, f: (x: Value, y: Value) => Value): Evaluate {
  return (s) => {
    const x = a(s);
    const y = b(s);
    return x === null || y === null ? null : f(x, y);
  };
}
