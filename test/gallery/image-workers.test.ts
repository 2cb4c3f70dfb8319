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
import { animatedGif, assertMediaConsistent, imageRows, png, upload, uploadToken } from "./helpers";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hromada-workers-"));
let big: string;
let small: string;
/** An animation (40 frames of 200 × 200): a second or so of a worker's time, as a real one of a few seconds' would. */
let anim: string;
before(async () => {
  // 36 megapixels of one colour: a small file (quick to make and send) whose decode keeps a worker busy for a while.
  big = path.join(dir, "big.png");
  await sharp({ create: { width: 6000, height: 6000, channels: 3, background: "#336699" } }).png().toFile(big);
  small = path.join(dir, "small.png");
  fs.writeFileSync(small, await png(120, 80));
  anim = path.join(dir, "anim.gif");
  fs.writeFileSync(anim, await animatedGif(200, 200, 40));
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A file that is not an image (refused from its first bytes, without a worker). */
function textFilePath(): string {
  const p = path.join(dir, "notes.png");
  fs.writeFileSync(p, "plain text, not a PNG\n");
  return p;
}

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

describe("sharing the workers between people", () => {
  /** Which owners' jobs the pool is running right now (one entry per busy worker). */
  const runningOwners = (pool: ImagePool) => pool.stats().workers.filter((w) => w.busy).map((w) => w.owner);
  const ownerState = (pool: ImagePool, owner: string) => pool.stats().owners.find((o) => o.owner === owner);

  it("one person's burst: another's job is next once the running one ends, not after the whole burst", async () => {
    const pool = createImagePool({ size: 1 });
    const done: string[] = [];
    const track = (label: string, owner: string, file: string) => pool.process(file, owner).then(() => void done.push(label));
    try {
      const jobs = [track("A1", "A", anim)];
      await until("A's first job to run", () => runningOwners(pool).includes("A"));
      jobs.push(track("A2", "A", anim), track("A3", "A", anim), track("A4", "A", anim), track("B1", "B", small));
      await until("all five queued or running", () => pool.stats().queued === 4);
      // The queue as B joined it: A's first job running, three more of A's waiting ahead of B's.
      assert.deepEqual(done, [], "A's first job was still running when B's was queued");
      assert.deepEqual(ownerState(pool, "A"), { owner: "A", running: 1, queued: 3 });
      assert.deepEqual(ownerState(pool, "B"), { owner: "B", running: 0, queued: 1 });
      await Promise.all(jobs);
      // In order of arrival B would have come last; one worker runs one job at a time, so this is also the order
      // they ran in. (A's three joined the queue as their first kilobytes were read: in any order among themselves.)
      assert.deepEqual(done.slice(0, 2), ["A1", "B1"], `B's job right after the one running: ${done}`);
      assert.deepEqual(done.slice(2).sort(), ["A2", "A3", "A4"]);
      assert.deepEqual(pool.stats().owners, [], "nobody is left with jobs");
    } finally {
      await pool.close();
    }
  });

  it("takes turns between several people with bursts (round robin)", async () => {
    const pool = createImagePool({ size: 1 });
    const done: string[] = [];
    const track = (label: string, owner: string, file: string) => pool.process(file, owner).then(() => void done.push(label));
    try {
      const jobs = [track("X", "X", anim)];
      await until("X's job to run", () => runningOwners(pool).includes("X"));
      for (const [owner, n] of [["A", 3], ["B", 2], ["C", 1]] as const)
        for (let i = 1; i <= n; i++) jobs.push(track(`${owner}${i}`, owner, small));
      await until("the others queued", () => pool.stats().queued === 6);
      assert.deepEqual(done, [], "X's job was still running when the others queued");
      await Promise.all(jobs);
      // Who goes first among A, B and C depends on whose first kilobyte was read first; then they take turns.
      const after = done.slice(1);
      assert.equal(done[0], "X");
      assert.deepEqual(new Set(after.slice(0, 3).map((l) => l[0])), new Set(["A", "B", "C"]), `each once before anyone twice: ${done}`);
      assert.deepEqual(new Set(after.slice(3, 5).map((l) => l[0])), new Set(["A", "B"]), `then A and B: ${done}`);
      assert.equal(after[5][0], "A", `A's third last: ${done}`);
    } finally {
      await pool.close();
    }
  });

  it("at most perOwner of one person's jobs run at once, even with a worker free; the free one serves others", async () => {
    const pool = createImagePool({ size: 2 });
    try {
      const a = [pool.process(anim, "A"), pool.process(anim, "A")];
      await until("A's first job to run", () => ownerState(pool, "A")?.running === 1 && ownerState(pool, "A")?.queued === 1);
      assert.deepEqual(runningOwners(pool), ["A"], "the second worker is not given A's second job");
      const b = pool.process(small, "B");
      // B's job starts on the other worker (one is started for it) while A's first one is still running.
      const both = await until("B's job to run beside A's", () => {
        const running = runningOwners(pool);
        return running.includes("B") && running.includes("A") ? running : undefined;
      });
      assert.deepEqual(both.sort(), ["A", "B"]);
      assert.equal(ownerState(pool, "A")!.running, 1, "still one of A's at a time");
      await Promise.all([...a, b]);
    } finally {
      await pool.close();
    }
  });

  it("perOwner 2 lets two of one person's jobs run at once", async () => {
    const pool = createImagePool({ size: 2 }, { perUser: 2 });
    try {
      const a = [pool.process(anim, "A"), pool.process(anim, "A"), pool.process(anim, "A")];
      const state = await until("two of A's running", () => (ownerState(pool, "A")?.running === 2 ? ownerState(pool, "A") : undefined));
      assert.equal(state.queued, 1);
      assert.deepEqual(runningOwners(pool), ["A", "A"]);
      await Promise.all(a);
    } finally {
      await pool.close();
    }
  });

  it("admits an upload's images whole up to the backlog, always one upload when nothing is in progress, and gives the places back", async () => {
    const pool = createImagePool({ size: 1 }, { backlogPerUser: 3 });
    try {
      const first = pool.admit(7, 2)!;
      assert.ok(first, "2 of 3");
      assert.equal(pool.backlogOf(7), 2);
      assert.equal(pool.admit(7, 2), null, "2 + 2 > 3: refused whole, not cut to 1");
      assert.equal(pool.backlogOf(7), 2, "a refusal takes no place");
      const second = pool.admit(7, 1)!;
      assert.ok(second, "2 + 1 = 3");
      assert.equal(pool.admit(8, 1) !== null, true, "another person's backlog is their own");
      await first.process(small);
      assert.equal(pool.backlogOf(7), 2, "a processed image gives its place back");
      await assert.rejects(first.process(textFilePath()), (err: unknown) => err instanceof ImageRejected);
      assert.equal(pool.backlogOf(7), 1, "so does a refused one");
      await assert.rejects(first.process(small), /more files processed than were admitted/);
      second.release();
      second.release();
      assert.equal(pool.backlogOf(7), 0, "release gives back what was not used, once");
      const whole = pool.admit(7, 20);
      assert.ok(whole, "more than the backlog is admitted when nothing of theirs is in progress");
      assert.equal(pool.admit(7, 1), null, "and then nothing more until it is done");
      assert.ok(pool.admit(7, 0), "but an upload with nothing to process (gallery copies only) still goes");
      whole.release();
      assert.ok(pool.admit(7, 1));
    } finally {
      await pool.close();
    }
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
