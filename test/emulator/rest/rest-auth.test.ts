import jwt from "jsonwebtoken";
import { describe, expect, it } from "vitest";
import { audienceMatches, verifyRestToken } from "../../../emulator/src/rest/rest-auth";
import { hmacKey } from "../../../common/signing-key";

const KEY = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH";
const KEY2 = "secondary-key-secondary-key-secondary-key";
const TARGET = "/api/hubs/hub1/:send?api-version=2024-12-01&filter=userId%20ne%20%27vic%27%27s%27";
const sdkToken = (aud: string, key = KEY, opts: jwt.SignOptions = {}) => jwt.sign({}, key, { audience: aud, expiresIn: "1h", algorithm: "HS256", ...opts });

function outcome(fn: () => void): string {
  try {
    fn();
    return "ok";
  } catch (error) {
    const e = error as { status: number; code: string; message: string };
    return `${e.status} ${e.code}: ${e.message}`;
  }
}

describe("verifyRestToken", () => {
  it.each<[string, string | undefined, string]>([
    ["SDK token for the full URL", `Bearer ${sdkToken(`http://localhost:8080${TARGET}`)}`, "ok"],
    ["URL without query", `Bearer ${sdkToken("http://localhost:8080/api/hubs/hub1/:send")}`, "ok"],
    ["other host (proxy)", `Bearer ${sdkToken(`https://example.com${TARGET}`)}`, "ok"],
    ["other host case", `Bearer ${sdkToken(`http://LOCALHOST:8080${TARGET}`)}`, "ok"],
    ["different path case", `Bearer ${sdkToken(`http://localhost:8080${TARGET.toUpperCase()}`)}`, "401 InvalidToken: The access token's audience does not match the request URL."],
    ["decoded audience", `Bearer ${sdkToken(`http://localhost:8080${decodeURIComponent(TARGET)}`)}`, "ok"],
    ["secondary key", `Bearer ${sdkToken(`http://localhost:8080${TARGET}`, KEY2)}`, "ok"],
    ["no header", undefined, "401 MissingToken: Authorization: Bearer <token> header is required."],
    ["basic scheme", "Basic abc", "401 MissingToken: Authorization: Bearer <token> header is required."],
    ["garbage", "Bearer abc.def.ghi", "401 InvalidToken: The access token is invalid."],
    ["wrong key", `Bearer ${sdkToken(`http://localhost:8080${TARGET}`, "wrong-key")}`, "401 InvalidToken: The access token is invalid."],
    ["other path", `Bearer ${sdkToken("http://localhost:8080/api/hubs/hub2/:send")}`, "401 InvalidToken: The access token's audience does not match the request URL."],
    ["other query", `Bearer ${sdkToken("http://localhost:8080/api/hubs/hub1/:send?api-version=1")}`, "401 InvalidToken: The access token's audience does not match the request URL."],
    ["expired", `Bearer ${sdkToken(`http://localhost:8080${TARGET}`, KEY, { expiresIn: -301 })}`, "401 InvalidToken: The access token has expired."],
    ["expired within skew", `Bearer ${sdkToken(`http://localhost:8080${TARGET}`, KEY, { expiresIn: -10 })}`, "ok"],
    ["no exp", `Bearer ${jwt.sign({ aud: `http://localhost:8080${TARGET}` }, KEY, { algorithm: "HS256" })}`, "401 InvalidToken: The access token has no exp claim."],
    ["HS512", `Bearer ${sdkToken(`http://localhost:8080${TARGET}`, KEY, { algorithm: "HS512" })}`, "401 InvalidToken: The access token is invalid."],
    ["alg none", `Bearer ${jwt.sign({ aud: `http://localhost:8080${TARGET}`, exp: 9999999999 }, "", { algorithm: "none" })}`, "401 InvalidToken: The access token is invalid."],
  ])("%s", (_name, header, expected) => {
    expect(outcome(() => verifyRestToken(header, [hmacKey(KEY), hmacKey(KEY2)], TARGET))).toBe(expected);
  });

  it.each([
    ["http://h/api/hubs/a/:send", "/api/hubs/a/:send", true],
    ["http://h/api/hubs/a/:send", "/api/hubs/a/:send?x=1", true],
    ["http://h/api/hubs/a/:send?x=1", "/api/hubs/a/:send", false],
    ["/api/hubs/a/:send", "/api/hubs/a/:send", true],
    ["http://h/api/hubs/a%20b/:send", "/api/hubs/a b/:send", true],
    ["http://h/api/hubs/b/:send", "/api/hubs/a/:send", false],
    // Users and groups are told apart by case, and `+` in a path is a plus, not a space.
    ["http://h/api/hubs/a/users/Alice/:send", "/api/hubs/a/users/alice/:send", false],
    ["http://h/api/hubs/a/users/a+b/:send", "/api/hubs/a/users/a%20b/:send", false],
    ["http://h/api/hubs/a/users/a%2Bb/:send", "/api/hubs/a/users/a+b/:send", true],
    ["http://h/api/hubs/a/users/%E0%A4%A/:send", "/api/hubs/a/users/x/:send", false],
    ["http://h/api/hubs/a/users/%E0%A4%A/:send", "/api/hubs/a/users/%E0%A4%A/:send", true],
  ])("audience %s vs %s → %s", (aud, target, expected) => {
    expect(audienceMatches(aud, target)).toBe(expected);
  });
});
