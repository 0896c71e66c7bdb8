/**
 * The stateful peer of bench/serverless-path.ts: one Node process holding the sockets itself,
 * with Socket.IO, offering the same two calls as the function app:
 *   GET  /api/negotiate?userId=u → 200 `{ url, token }`, an HS256 token (`sub` = u, 1 h)
 *   POST /api/send?userId=u, JSON body → `io.to(u).emit("message", body)`, 202
 * Receivers connect with `auth: { userId }` and join the room named after it. The HMAC key is a
 * KeyObject made once, as a well-tuned server would have it (the same treatment as the project).
 *   argv[2] = port; prints "ready" on stdout once listening.
 */
import { createSecretKey } from "node:crypto";
import http from "node:http";
import jwt from "jsonwebtoken";
import { Server } from "socket.io";

const SECRET = createSecretKey(Buffer.from("a-stateful-server-secret-of-32-bytes!", "utf8"));
const port = Number(process.argv[2]);

function reply(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url ?? "/", "http://localhost");
  const userId = url.searchParams.get("userId");
  if (url.pathname.startsWith("/socket.io/")) return; // Socket.IO's own listener answers these
  if (!userId) return reply(res, 400, { code: "MissingTarget", message: "Give ?userId=." });
  if (req.method === "GET" && url.pathname === "/api/negotiate") {
    const token = jwt.sign({}, SECRET, { algorithm: "HS256", subject: userId, expiresIn: "1h" });
    return reply(res, 200, { url: `http://localhost:${port}`, token });
  }
  if (req.method === "POST" && url.pathname === "/api/send") {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      let data: unknown;
      try {
        data = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      } catch {
        return reply(res, 400, { code: "InvalidBody", message: "The body is not JSON." });
      }
      io.to(userId).emit("message", data);
      reply(res, 202, { target: { kind: "user", userId } });
    });
    return;
  }
  reply(res, 404, { code: "NotFound", message: "No such route." });
});

const io = new Server(server, { serveClient: false, transports: ["websocket"] });
io.on("connection", (socket) => {
  const userId = (socket.handshake.auth as { userId?: unknown }).userId;
  if (typeof userId === "string") void socket.join(userId);
  socket.emit("joined");
});

server.listen(port, "127.0.0.1", () => console.log("ready"));
process.on("SIGTERM", () => process.exit(0));
