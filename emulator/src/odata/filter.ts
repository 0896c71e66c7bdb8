import { compileNode, type FilterSubject } from "./filter-evaluator";
import { parseFilter } from "./filter-parser";
import { checkFilter } from "./filter-type-check";

export type { FilterSubject } from "./filter-evaluator";
export { FilterSyntaxError } from "./filter-syntax-error";

/**
 * Compiles an OData filter into a predicate over one connection.
 * Throws `FilterSyntaxError` saying what is wrong and where; a returned predicate never throws.
 */
export function compileFilter(text: string): (subject: FilterSubject) => boolean {
  const ast = parseFilter(text);
  checkFilter(ast);
  const evaluate = compileNode(ast);
  return (subject) => evaluate(subject) === true;
}
