/**
 * Text that a client chose (user ids, event names) travelling in an HTTP header.
 *
 * Node's HTTP client refuses any header character above U+00FF and throws, so a user id such as
 * `用户` cannot be written as it is. The value goes out as its UTF-8 bytes instead (RFC 9110
 * allows bytes 0x80-0xFF in a field value), which any Unicode text survives; a receiver that reads
 * header bytes as Latin-1, as Node and fetch `Headers` do, gets the text back with
 * `decodeHeaderText`. Characters no header may carry at all (C0 controls other than tab, and DEL)
 * become U+FFFD; names with them are refused before they get here.
 */

// eslint-disable-next-line no-control-regex
const forbiddenInHeader = /[\u0000-\u0008\u000a-\u001f\u007f]/g;
// eslint-disable-next-line no-control-regex
const plainAscii = /^[\u0009\u0020-\u007e]*$/;
const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/** The header-safe form of `text`: printable ASCII as it is, anything else as UTF-8 bytes. */
export function encodeHeaderText(text: string): string {
  if (plainAscii.test(text)) return text;
  return Buffer.from(text.replace(forbiddenInHeader, "\uFFFD"), "utf8").toString("latin1");
}

/**
 * The text a header carries, read back from its Latin-1 form. A value whose bytes are not valid
 * UTF-8 was not written by `encodeHeaderText` and is returned unchanged.
 */
export function decodeHeaderText(value: string): string {
  if (plainAscii.test(value)) return value;
  for (let i = 0; i < value.length; i++) if (value.charCodeAt(i) > 0xff) return value;
  try {
    return strictUtf8.decode(Buffer.from(value, "latin1"));
  } catch {
    return value;
  }
}
