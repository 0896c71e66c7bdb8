/** The data type a body's Content-Type names, in REST calls and user events. */
export type ContentDataType = "json" | "text" | "binary";

const dataTypes: Readonly<Record<string, ContentDataType>> = {
  "application/json": "json",
  "text/plain": "text",
  "application/octet-stream": "binary",
};

/** The media type of a Content-Type header, lower-cased, parameters such as `; charset=utf-8` dropped. */
export function mediaTypeOf(contentType: string | null | undefined): string {
  return (contentType ?? "").split(";")[0]!.trim().toLowerCase();
}

/** The data type of a media type from `mediaTypeOf`; `undefined` for any other media type. */
export function dataTypeOfMediaType(mediaType: string): ContentDataType | undefined {
  return Object.hasOwn(dataTypes, mediaType) ? dataTypes[mediaType] : undefined;
}
