// The image workers: encoding runs in child processes of lower priority, which are replaced when they die,
// time out, have done their share of jobs or sit idle, and are gone once the pool is closed.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import sharp from "sharp";
import { createImagePool, ImageRejected, imageWorkerStats, type ImagePool } from "../../src/gallery/image-pipeline";
import { loggedInAgent } from "../helpers/agent";
import { startTestApp } from "../helpers/app";
import { assertMediaConsistent, imageRows, png, upload, uploadToken } from "./helpers";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hromada-workers-"));
let big: string;
let small: string;
before(async () => {
  // 36 megapixels of one colour: a small file (quick to make and send) whose decode keeps a worker busy for a while.
  big = path.join(dir, "big.png");
  await sharp({ create: { width: 6000, height: 6000, channels: 3, background: "#336699" } }).png().toFile(big);
  small = path.join(dir, "small.png");
  fs.writeFileSync(small, await png(120, 80));
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A process that exists (a zombie, exited but not reaped, would count too). */
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function until<T>(what: string, probe: () => T | undefined | false, ms = 30_000): Promise<T> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 5))) {
    const v = probe();
    if (v) return v;
  }
  throw new Error(`gave up waiting for ${what}`);
}

const busyWorker = (pool: Pick<ImagePool, "stats">) => until("a busy worker", () => pool.stats().workers.find((w) => w.busy));

/** The nice value of each thread of a process (Linux keeps one per thread). */
const threadNices = (pid: number) =>
  fs.readdirSync(`/proc/${pid}/task`).map((tid) => {
    const stat = fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8");
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[16]);
  });

describe("image worker processes", () => {
  it("encode in a child process, every thread of it at a lower priority than ours", async () => {
    const pool = createImagePool({ size: 1 });
    try {
      const job = pool.process(big);
      const { pid } = await busyWorker(pool);
      assert.notEqual(pid, process.pid);
      assert.ok(os.getPriority(pid) >= os.getPriority() + 10, `worker nice ${os.getPriority(pid)}`);
      if (process.platform === "linux") {
        const nices = threadNices(pid);
        assert.ok(nices.every((n) => n >= 10), `thread nice values ${nices}`);
        // Two malloc arenas, so decoded pictures do not leave one fragmented arena per thread behind.
        const environ = fs.readFileSync(`/proc/${pid}/environ`, "utf8").split("\0");
        assert.ok(environ.includes("MALLOC_ARENA_MAX=2"), "the worker runs with MALLOC_ARENA_MAX=2");
      }
      const out = await job;
      assert.deepEqual([out.width, out.height], [1600, 1600]);
      assert.ok(Buffer.isBuffer(out.web) && Buffer.isBuffer(out.thumb), "the pictures cross the IPC channel as Buffers");
    } finally {
      await pool.close();
    }
  });

  it("a worker killed mid-job: that image gets a clear refusal, the queued one runs on a fresh worker", async () => {
    const pool = createImagePool({ size: 1 });
    try {
      const doomed = pool.process(big);
      const { pid } = await busyWorker(pool);
      const next = pool.process(small);
      process.kill(pid, "SIGKILL");
      await assert.rejects(doomed, (err: unknown) => err instanceof ImageRejected && err.key === "gallery.rejected.crashed");
      const out = await next;
      assert.deepEqual([out.width, out.height], [120, 80]);
      const [worker] = pool.stats().workers;
      assert.ok(worker && worker.pid !== pid, "a new process");
      assert.equal(alive(pid), false, "the killed one was reaped");
    } finally {
      await pool.close();
    }
  });

  it("a job past the timeout has its worker killed and its image refused", async () => {
    const pool = createImagePool({ size: 1, timeoutMs: 200 });
    try {
      const job = pool.process(big);
      const { pid } = await busyWorker(pool);
      await assert.rejects(job, (err: unknown) => err instanceof ImageRejected && err.key === "gallery.rejected.timeout");
      await until("the worker to be gone", () => !alive(pid));
    } finally {
      await pool.close();
    }
  });

  it("replaces a worker after maxJobs jobs, and the old process exits", async () => {
    const pool = createImagePool({ size: 1, maxJobs: 2 });
    const workers = () => pool.stats().workers.map((w) => [w.pid, w.jobs]);
    try {
      await pool.process(small);
      const [[first]] = workers();
      await pool.process(small);
      assert.deepEqual(workers(), [[first, 2]], "the second job ran on the same process");
      await pool.process(small);
      await until("the recycled worker to exit", () => !alive(first));
      const [[second, jobs]] = workers();
      assert.notEqual(second, first, "the third job ran on a fresh process");
      assert.equal(jobs, 1);
    } finally {
      await pool.close();
    }
  });

  it("an idle worker exits by itself, and the next job starts another", async () => {
    const pool = createImagePool({ size: 1, idleMs: 100 });
    try {
      await pool.process(small);
      const [{ pid }] = pool.stats().workers;
      await until("the idle worker to exit", () => !alive(pid) && pool.stats().workers.length === 0);
      await pool.process(small);
      assert.notEqual(pool.stats().workers[0].pid, pid);
    } finally {
      await pool.close();
    }
  });

  it("close() ends every worker, a busy one included, before it resolves", async () => {
    const pool = createImagePool({ size: 2 });
    const running = assert.rejects(pool.process(big), (err: unknown) => err instanceof ImageRejected && /^gallery\.rejected\.(crashed|closed)$/.test(err.key));
    await pool.process(small);
    const stats = pool.stats().workers;
    assert.deepEqual(stats.map((w) => w.busy).sort(), [false, true], "one busy and one idle worker");
    await pool.close();
    await running;
    const pids = stats.map((w) => w.pid);
    assert.deepEqual(pids.filter(alive), [], "no process left, not even a zombie");
    assert.deepEqual(pool.stats().workers, []);
  });
});

describe("the web process dying", () => {
  it("takes its workers with it, even busy ones (their IPC channel closes)", async () => {
    const pipeline = path.resolve(__dirname, "../../src/gallery/image-pipeline.ts");
    const script = `
      const { processImage, imageWorkerStats } = require(${JSON.stringify(pipeline)});
      processImage(${JSON.stringify(big)});
      const poll = setInterval(() => {
        const busy = imageWorkerStats().workers.find((w) => w.busy);
        if (busy) { console.log("worker " + busy.pid); clearInterval(poll); setInterval(() => {}, 1000); }
      }, 5);`;
    const parent = spawn(process.execPath, ["--require", require.resolve("tsx/cjs"), "-e", script], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    parent.stdout.on("data", (c: Buffer) => (out += c));
    const pid = Number((await until("the worker's pid", () => /worker (\d+)/.exec(out) ?? undefined))[1]);
    parent.kill("SIGKILL");
    // Orphaned, it is reaped by whatever adopts it; if that never reaps, a zombie ("Z") has exited all the same.
    const exited = () => !alive(pid) || /\) Z /.test(fs.readFileSync(`/proc/${pid}/stat`, "utf8"));
    await until("the orphaned worker to exit", () => {
      try {
        return exited();
      } catch {
        return true; // gone between the two looks
      }
    });
  });
});

describe("a worker dying during a multi-file upload", () => {
  it("refuses that file with a message naming it and stores the others", async () => {
    const app = await startTestApp();
    try {
      const { agent: a, userId } = await loggedInAgent(app);
      const token = await uploadToken(a);
      const response = upload(a, "/gallery", token, [
        { filename: "huge.png", data: fs.readFileSync(big), contentType: "image/png" },
        { filename: "fine.png", data: fs.readFileSync(small), contentType: "image/png" },
      ]).then((r) => r);
      // The shared pool's worker busy with the big upload (its temp file is the only large one).
      const { pid } = await until("the big upload's worker", () =>
        imageWorkerStats().workers.find((w) => w.request && fs.statSync(w.request.file, { throwIfNoEntry: false })?.size === fs.statSync(big).size));
      process.kill(pid, "SIGKILL");
      const res = await response;
      assert.equal(res.status, 303, res.text.slice(0, 300));
      assert.deepEqual((await imageRows(app, userId)).map((r) => r.original_name), ["fine.png"]);
      const page = await a.get("/gallery");
      assert.match(page.text, /Uploaded 1 of 2 images\./);
      assert.match(page.text, /Not stored: “huge\.png” could not be processed: the image processor stopped while working on it/);
      await assertMediaConsistent(app);
    } finally {
      await app.close();
    }
  });
});
