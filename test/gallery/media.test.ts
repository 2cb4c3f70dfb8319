// /media: stored images only, with safe headers; everything else (traversal, dotfiles, listings) is a 404.
import assert from "node:assert/strict";
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { loggedInAgent } from "../helpers/agent";
import { startTestApp, type TestApp } from "../helpers/app";
import { imageRows, jpeg, upload, uploadToken } from "./helpers";

let app: TestApp;
let web: string;
let thumb: string;

/** A raw request: the path goes on the wire exactly as written (no URL normalisation by a client library). */
function raw(method: string, rawPath: string): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  const { hostname, port } = new URL(app.url);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: hostname, port, method, path: rawPath }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on("error", reject);
    req.end();
  });
}

before(async () => {
  app = await startTestApp();
  const { agent: a, userId } = await loggedInAgent(app);
  const res = await upload(a, "/gallery", await uploadToken(a), [{ filename: "x.jpg", data: await jpeg() }]);
  assert.equal(res.status, 303);
  [{ path: web, thumb_path: thumb }] = await imageRows(app, userId);
  // Secrets next to and inside MEDIA_ROOT that must never be served.
  fs.writeFileSync(path.join(app.mediaRoot, "..", ".env"), "SESSION_SECRET=do-not-leak\n");
  fs.writeFileSync(path.join(app.mediaRoot, ".env"), "SESSION_SECRET=do-not-leak\n");
  fs.mkdirSync(path.join(app.mediaRoot, ".tmp"), { recursive: true });
  fs.writeFileSync(path.join(app.mediaRoot, ".tmp", "0123456789abcdef0123456789abcdef.upload"), "half an upload");
});
after(() => app.close());

describe("/media", () => {
  it("serves a stored image without a session: image type, nosniff, long immutable caching", async () => {
    for (const rel of [web, thumb]) {
      const res = await raw("GET", `/media/${rel}`);
      assert.equal(res.status, 200);
      assert.equal(res.headers["content-type"], "image/webp");
      assert.equal(res.headers["x-content-type-options"], "nosniff");
      assert.match(String(res.headers["cache-control"]), /max-age=31536000/);
      assert.match(String(res.headers["cache-control"]), /immutable/);
      assert.equal(res.headers["set-cookie"], undefined, "no session is created for media");
      assert.ok(res.body.equals(fs.readFileSync(path.join(app.mediaRoot, rel))));
    }
    const head = await raw("HEAD", `/media/${web}`);
    assert.equal(head.status, 200);
  });

  const shard = () => web.slice(0, 5);
  const refused: [string, () => string][] = [
    ["a plain ../ traversal", () => "/media/../.env"],
    ["a deep traversal", () => "/media/../../../../etc/passwd"],
    ["an encoded ../", () => "/media/%2e%2e/.env"],
    ["an encoded slash", () => "/media/..%2f.env"],
    ["a fully encoded traversal", () => "/media/%2e%2e%2f%2e%2e%2fetc%2fpasswd"],
    ["a double-encoded traversal", () => "/media/%252e%252e/.env"],
    ["a backslash traversal", () => "/media/..%5c.env"],
    ["a traversal inside a valid-looking path", () => `/media/${shard()}/../../.env`],
    ["a dotfile inside MEDIA_ROOT", () => "/media/.env"],
    ["the upload temp dir", () => "/media/.tmp/0123456789abcdef0123456789abcdef.upload"],
    ["an encoded temp dir", () => "/media/%2etmp/0123456789abcdef0123456789abcdef.upload"],
    ["a directory listing of the root", () => "/media/"],
    ["the root without slash", () => "/media"],
    ["a listing of a shard", () => `/media/${shard()}/`],
    ["a shard without slash", () => `/media/${shard()}`],
    ["a NUL byte", () => `/media/${web}%00.html`],
    ["an extra extension", () => `/media/${web}.html`],
    ["upper-case hex", () => `/media/${web.toUpperCase()}`],
    ["a missing file of the right shape", () => "/media/00/00/00000000000000000000000000000000.webp"],
    ["an absolute path", () => "/media//etc/passwd"],
  ];
  for (const [what, p] of refused) {
    it(`answers 404 for ${what}`, async () => {
      const res = await raw("GET", p());
      assert.equal(res.status, 404, `${p()} -> ${res.status}`);
      assert.ok(!res.body.includes("do-not-leak"));
      assert.ok(!res.body.includes("half an upload"));
      assert.ok(!res.body.includes(path.basename(web)), "no listing");
    });
  }

  it("answers 404 to anything but GET and HEAD", async () => {
    for (const method of ["POST", "PUT", "DELETE"]) assert.equal((await raw(method, `/media/${web}`)).status, 404, method);
    assert.ok(fs.existsSync(path.join(app.mediaRoot, web)));
  });
});
