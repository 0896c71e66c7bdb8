import { FilterSyntaxError } from "./filter-syntax-error";

export type FilterToken =
  | { kind: "open"; at: number }
  | { kind: "close"; at: number }
  | { kind: "comma"; at: number }
  | { kind: "string"; value: string; at: number }
  | { kind: "number"; value: number; at: number }
  | { kind: "word"; value: string; at: number }
  | { kind: "end"; at: number };

const WORD_START = /[A-Za-z_]/;
const WORD_PART = /[A-Za-z0-9_]/;
const DIGIT = /[0-9]/;

/** Splits an OData filter into tokens; pure, throws FilterSyntaxError on a character it cannot place. */
export function tokenizeFilter(text: string): FilterToken[] {
  const tokens: FilterToken[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === " " || c === "\t" || c === "\r" || c === "\n") {
      i++;
    } else if (c === "(") {
      tokens.push({ kind: "open", at: i++ });
    } else if (c === ")") {
      tokens.push({ kind: "close", at: i++ });
    } else if (c === ",") {
      tokens.push({ kind: "comma", at: i++ });
    } else if (c === "'") {
      const { value, next } = readString(text, i);
      tokens.push({ kind: "string", value, at: i });
      i = next;
    } else if (DIGIT.test(c) || (c === "-" && DIGIT.test(text[i + 1] ?? ""))) {
      const start = i;
      i++;
      while (i < text.length && DIGIT.test(text[i])) i++;
      if (i < text.length && (WORD_PART.test(text[i]) || text[i] === ".")) {
        throw new FilterSyntaxError("only integer numbers are supported", start);
      }
      const value = Number(text.slice(start, i));
      if (!Number.isSafeInteger(value)) throw new FilterSyntaxError("integer out of range", start);
      tokens.push({ kind: "number", value, at: start });
    } else if (WORD_START.test(c)) {
      const start = i;
      while (i < text.length && WORD_PART.test(text[i])) i++;
      tokens.push({ kind: "word", value: text.slice(start, i), at: start });
    } else {
      throw new FilterSyntaxError(`unexpected character '${c}'`, i);
    }
  }
  tokens.push({ kind: "end", at: text.length });
  return tokens;
}

/** OData string literal: single quotes, a quote inside is doubled (`'vic''s'`). */
function readString(text: string, start: number): { value: string; next: number } {
  let value = "";
  let i = start + 1;
  for (;;) {
    const q = text.indexOf("'", i);
    if (q < 0) throw new FilterSyntaxError("unterminated string literal", start);
    value += text.slice(i, q);
    if (text[q + 1] === "'") {
      value += "'";
      i = q + 2;
    } else {
      return { value, next: q + 1 };
    }
  }
}
