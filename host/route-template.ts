/**
 * Functions-style route templates (`groups/{group}/users/{userId}`, `{name?}`, `{*path}`),
 * compiled once into pure matchers. Matching works on the raw request path and decodes each
 * segment after splitting, so an encoded `%2F` stays inside its segment (as ASP.NET routing does).
 */

export type RouteSegment =
  | { kind: "literal"; text: string }
  | { kind: "param"; name: string; optional: boolean }
  | { kind: "catch-all"; name: string };

export interface CompiledRoute {
  readonly template: string;
  readonly segments: readonly RouteSegment[];
  /** Lower sorts first: literal segments beat parameters, parameters beat catch-alls. */
  readonly precedence: number;
  match(rawPath: string): Record<string, string> | null;
}

export class RouteTemplateError extends Error {
  override readonly name = "RouteTemplateError";
}

const paramPattern = /^\{(\*)?([A-Za-z_][A-Za-z0-9_]*)(?::[^}?]+)?(\?)?\}$/;

export function parseRouteTemplate(template: string): RouteSegment[] {
  const trimmed = template.replace(/^\/+|\/+$/g, "");
  if (trimmed === "") return [];
  const parts = trimmed.split("/");
  return parts.map((part, index): RouteSegment => {
    if (!part.includes("{")) {
      if (part.includes("}")) throw new RouteTemplateError(`route "${template}": stray "}" in segment "${part}"`);
      if (part === "") throw new RouteTemplateError(`route "${template}": empty segment`);
      return { kind: "literal", text: part };
    }
    const found = paramPattern.exec(part);
    if (!found) throw new RouteTemplateError(`route "${template}": segment "${part}" must be a whole {param}, {param?} or {*param}`);
    const [, star, name, optional] = found;
    const isLast = index === parts.length - 1;
    if (star) {
      if (!isLast) throw new RouteTemplateError(`route "${template}": catch-all {*${name}} must be the last segment`);
      return { kind: "catch-all", name: name! };
    }
    if (optional && !isLast) throw new RouteTemplateError(`route "${template}": optional {${name}?} must be the last segment`);
    return { kind: "param", name: name!, optional: optional === "?" };
  });
}

function decodeSegment(raw: string): string | null {
  try {
    return decodeURIComponent(raw);
  } catch {
    return null;
  }
}

export function compileRouteTemplate(template: string): CompiledRoute {
  const segments = parseRouteTemplate(template);
  const names = new Set<string>();
  for (const segment of segments) {
    if (segment.kind === "literal") continue;
    const key = segment.name.toLowerCase();
    if (names.has(key)) throw new RouteTemplateError(`route "${template}": parameter "${segment.name}" appears twice`);
    names.add(key);
  }
  let precedence = 0;
  segments.forEach((segment, index) => {
    const weight = segment.kind === "literal" ? 1 : segment.kind === "param" ? 2 : 3;
    precedence += weight * 10 ** Math.max(0, 6 - index);
  });

  const match = (rawPath: string): Record<string, string> | null => {
    const trimmed = rawPath.replace(/^\/+|\/+$/g, "");
    const rawParts = trimmed === "" ? [] : trimmed.split("/");
    const params: Record<string, string> = {};
    for (let i = 0; i < segments.length; i += 1) {
      const segment = segments[i]!;
      switch (segment.kind) {
        case "catch-all": {
          const rest = rawParts.slice(i).map(decodeSegment);
          if (rest.some((part) => part === null)) return null;
          if (rest.length > 0) params[segment.name] = rest.join("/");
          return params;
        }
        case "param": {
          const raw = rawParts[i];
          if (raw === undefined) return segment.optional ? params : null;
          const value = decodeSegment(raw);
          if (value === null || value === "") return null;
          params[segment.name] = value;
          break;
        }
        case "literal": {
          const raw = rawParts[i];
          if (raw === undefined || decodeSegment(raw)?.toLowerCase() !== segment.text.toLowerCase()) return null;
          break;
        }
        default: {
          const _never: never = segment;
          return _never;
        }
      }
    }
    return rawParts.length === segments.length ? params : null;
  };

  return Object.freeze({ template, segments: Object.freeze(segments), precedence, match });
}
