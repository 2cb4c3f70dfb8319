// Promise: "only you see your data" and "nothing acknowledged is lost", over the live chat's socket. The handshake
// refuses sockets without a session, with another site's (or an opaque) Origin, over both transports; a 1 MB
// payload closes the connection over WebSocket and over long-polling; a flood of any event is cut off; sender,
// chat and time always come from the server. Each time nothing is stored and the server serves others on.
// Also proven elsewhere: joining, reading and sending to a chat one is not in (test/security/access.test.ts and
// test/chat/chat.socket.test.ts), expired, deleted and deactivated sessions (test/security/sessions.test.ts), a
// message budget shared by a person's sockets and forms (test/chat/chat.flood.test.ts), logout and password changes ending sockets (test/chat).
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { after, before, describe, it } from "node:test";
import type { Socket } from "socket.io-client";
import { startTestApp, type TestApp } from "../helpers/app";
import { ask, connect, connected, createGroup, socketFor, type MessageLike } from "../chat/helpers";
import { difference, person, raw, snapshot, unchanged, type Person } from "./helpers";

let app: TestApp;
let a: Person;
let b: Person;
let chatId: number;
before(async () => {
  // A low event budget, so a flood is cut off quickly: CHAT_MESSAGES_PER_10S=5 gives 5 messages and 200 other events.
  app = await startTestApp({ CHAT_MESSAGES_PER_10S: "5" });
  [a, b] = await Promise.all([person(app, "sa"), person(app, "sb")]);
  chatId = await createGroup(a.agent, "sockets", [b.username]);
});
after(() => app.close());

const disconnected = (s: Socket) => new Promise<string>((resolve) => s.once("disconnect", (reason) => resolve(reason)));
const messages = async () => Number((await app.sql<{ n: string }>("SELECT count(*) AS n FROM messages"))[0].n);

/** The server still answers: b (another user) joins and sends, and the message is stored. */
async function serverAlive() {
  const s = await connect(app, b.agent);
  try {
    assert.deepEqual(await ask(s, "chat:join", { chatId }), { ok: true });
    const before = await messages();
    assert.equal((await ask(s, "chat:message", { chatId, text: "still here", clientId: crypto.randomUUID() })).ok, true);
    assert.equal(await messages(), before + 1);
  } finally {
    s.disconnect();
  }
}

/** The long-polling handshake as a browser's first request: GET /socket.io/?EIO=4&transport=polling. */
const pollingHandshake = (headers: Record<string, string>) => raw(app, "GET", "/socket.io/?EIO=4&transport=polling", headers);

describe("the handshake", () => {
  it("refuses a socket without a session cookie, over WebSocket and long-polling", async () => {
    await assert.rejects(connected(socketFor(app)));
    const res = await pollingHandshake({ origin: app.url });
    assert.equal(res.status, 401);
    assert.doesNotMatch(res.text, /"sid"/, "no engine session was opened");
  });

  it("refuses another site's Origin, an opaque one and a malformed one, even with a valid session", async () => {
    // (The scheme is not compared: TLS ends at the proxy, and a plain-http page of this host could not send the
    // Secure, SameSite=Lax session cookie with a cross-scheme handshake anyway.)
    for (const origin of ["https://evil.example", "null", "not a url", `${app.url}.evil.example`, `http://evil.example@${new URL(app.url).host}x`, "http://127.0.0.1:1"]) {
      await assert.rejects(connected(socketFor(app, { cookie: a.cookie, origin })), `WebSocket from ${origin}`);
      const res = await pollingHandshake({ origin, cookie: a.cookie });
      assert.equal(res.status, 403, `polling from ${origin}`);
      assert.doesNotMatch(res.text, /"sid"/);
    }
    // This site's own pages (control), and clients that send no Origin at all (not browsers: nothing to forge).
    assert.equal((await pollingHandshake({ origin: app.url, cookie: a.cookie })).status, 200);
    const noOrigin = await connected(socketFor(app, { cookie: a.cookie, origin: null }));
    noOrigin.disconnect();
  });

  it("a cookie for another path or a garbage cookie opens nothing", async () => {
    for (const cookie of ["hromada.sid=garbage", "hromada.sid=", `other=${a.cookie.split("=")[1]}`, `${a.cookie}x`]) {
      await assert.rejects(connected(socketFor(app, { cookie })), cookie.slice(0, 40));
    }
  });
});

describe("oversized payloads", () => {
  it("a 1 MB message over WebSocket closes the connection, stores nothing, and the sender may come back", async () => {
    const s = await connect(app, a.agent);
    await ask(s, "chat:join", { chatId });
    const before = await snapshot(app);
    const gone = disconnected(s);
    s.emit("chat:message", { chatId, text: "x".repeat(1024 * 1024), clientId: crypto.randomUUID() }, () => assert.fail("no ack for 1 MB"));
    assert.match(await gone, /transport (close|error)/);
    assert.equal(difference(before, await snapshot(app)), null, "nothing stored");
    await serverAlive();
    const again = await connect(app, a.agent);
    assert.deepEqual(await ask(again, "chat:join", { chatId }), { ok: true });
    again.disconnect();
  });

  it("a 1 MB body over long-polling is refused (413) before it is read, and stores nothing", async () => {
    const hs = await pollingHandshake({ origin: app.url, cookie: a.cookie });
    assert.equal(hs.status, 200);
    const sid = JSON.parse(hs.text.slice(hs.text.indexOf("{"))).sid as string;
    const payload = `42${JSON.stringify(["chat:message", { chatId, text: "y".repeat(1024 * 1024), clientId: crypto.randomUUID() }])}`;
    const res = await unchanged(app, "a 1 MB polling body", () =>
      raw(app, "POST", `/socket.io/?EIO=4&transport=polling&sid=${sid}`, { origin: app.url, cookie: a.cookie, "content-type": "text/plain;charset=UTF-8" }, payload));
    assert.equal(res.status, 413);
    await serverAlive();
  });
});

describe("floods", () => {
  it("a flood of typing events (no database writes, but work) is cut off once over budget", async () => {
    const s = await connect(app, a.agent);
    await ask(s, "chat:join", { chatId });
    const gone = disconnected(s);
    const answers: { ok: boolean; code?: string }[] = [];
    await unchanged(app, "a typing flood", async () => {
      // Sent all at once (well inside one 10-second window, however slow the machine), answered one by one.
      for (let i = 0; i < 260; i++) s.emit("chat:typing", { chatId, typing: true }, (ack: { ok: boolean; code?: string }) => answers.push(ack));
      assert.equal(await gone, "io server disconnect");
    });
    const ok = answers.filter((x) => x.ok).length;
    assert.ok(ok >= 190 && ok <= 200, `about the budget was served (${ok})`);
    assert.ok(answers.some((x) => x.code === "rate_limited"), "the one over budget was told why");
    await serverAlive();
  });

  it("a message flood from several sockets of one user: one budget for all; only what was within it is stored, once", async () => {
    // A flooder of its own: the budget is per person, and a's is needed by the tests after this one.
    const flooder = await person(app, "sf");
    const floodChat = await createGroup(flooder.agent, "flood", [b.username]);
    const sockets = await Promise.all([connect(app, flooder.agent), connect(app, flooder.agent)]);
    const sent: string[][] = [];
    const acked: MessageLike[] = [];
    for (const s of sockets) {
      const gone = disconnected(s);
      const ids = Array.from({ length: 12 }, () => crypto.randomUUID());
      sent.push(ids);
      for (const [i, clientId] of ids.entries()) {
        s.emit("chat:message", { chatId: floodChat, text: `flood ${i}`, clientId }, (ack: { ok: boolean; message?: MessageLike }) => {
          if (ack.ok) acked.push(ack.message!);
        });
      }
      assert.equal(await gone, "io server disconnect", "a persistent flooder is disconnected");
    }
    // The first socket's first 5 (CHAT_MESSAGES_PER_10S for the person) are stored, even if the disconnect beat their
    // acks (a retry with the same client ids would be answered with them); the rest, the second socket's included, never are.
    const within = sent[0].slice(0, 5).sort();
    const stored = async () => (await app.sql<{ client_id: string }>("SELECT client_id FROM messages WHERE chat_id = $1 AND message LIKE 'flood %'", [floodChat])).map((r) => r.client_id).sort();
    for (let i = 0; i < 500 && (await stored()).length < within.length; i++) await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(await stored(), within);
    assert.ok(acked.every((m) => within.includes(m.clientId!)), "anything acknowledged is among them");
    await serverAlive();
  });
});

describe("forged fields", () => {
  it("the sender, chat, id and time of a stored message come from the server, whatever the payload claims", async () => {
    const s = await connect(app, a.agent);
    try {
      const clientId = crypto.randomUUID();
      const ack = await ask(s, "chat:message", {
        chatId, text: "who sent this?", clientId,
        userId: b.userId, user_id: b.userId, username: b.username, id: 1, createdAt: "2000-01-01T00:00:00Z", chat: { id: 1 }, avatar: "../../etc/passwd",
      });
      assert.equal(ack.ok, true);
      const [row] = await app.sql<{ id: number; user_id: number; chat_id: number; created_at: Date }>("SELECT id, user_id, chat_id, created_at FROM messages WHERE client_id = $1", [clientId]);
      assert.deepEqual([row.user_id, row.chat_id], [a.userId, chatId]);
      assert.notEqual(row.id, 1);
      assert.ok(row.created_at.getUTCFullYear() > 2000);
      assert.deepEqual([ack.message!.userId, ack.message!.username, ack.message!.id], [a.userId, a.username, row.id]);
      // Binary data where text belongs is refused.
      const bin = await ask(s, "chat:message", { chatId, text: Buffer.from("binary"), clientId: crypto.randomUUID() });
      assert.deepEqual([bin.ok, bin.code], [false, "invalid"]);
      // Events the server does not know are ignored, and the socket goes on.
      s.emit("admin:delete", { chatId });
      s.emit("chat:message:raw", "x");
      assert.deepEqual(await ask(s, "chat:join", { chatId }), { ok: true });
    } finally {
      s.disconnect();
    }
  });
});
