/** The parsed form of an OData filter. Every node keeps its offset for error messages. */

export type FilterField = "connectionId" | "userId" | "protocol";

export type ComparisonOperator = "eq" | "ne" | "gt" | "ge" | "lt" | "le";

export type FilterFunctionName =
  | "length"
  | "indexof"
  | "concat"
  | "contains"
  | "startswith"
  | "endswith"
  | "substring"
  | "tolower"
  | "toupper"
  | "trim";

export type FilterNode =
  | { kind: "literal"; value: string | number | boolean | null; at: number }
  | { kind: "field"; field: FilterField; at: number }
  | { kind: "groups"; at: number }
  | { kind: "not"; operand: FilterNode; at: number }
  | { kind: "logical"; operator: "and" | "or"; left: FilterNode; right: FilterNode; at: number }
  | { kind: "compare"; operator: ComparisonOperator; left: FilterNode; right: FilterNode; at: number }
  | { kind: "inList"; item: FilterNode; list: FilterNode[]; at: number }
  | { kind: "inGroups"; item: FilterNode; at: number }
  | { kind: "call"; name: FilterFunctionName; args: FilterNode[]; at: number };
