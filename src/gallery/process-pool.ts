// A small pool of forked Node processes for CPU-heavy jobs (the image worker), so that work gets a lower
// scheduling priority than the web process and its memory is returned to the system when a process exits.
// Its failure modes (a worker killed mid-job, a busy pool, the web process dying) are tested one by one in
// test/gallery/image-workers.test.ts: change it with those tests at hand.
import { fork, type ChildProcess } from "node:child_process";
import os from "node:os";

export interface ProcessPoolOptions {
  /** The worker's entry file; it answers each { id, ...request } message with exactly one { id, ...reply }. */
  entry: string;
  /** Node options for the worker (e.g. a TypeScript loader). */
  execArgv: string[];
  /** At most this many processes, each running one job at a time; further jobs wait in order. */
  size: number;
  /** An idle process exits after this long. */
  idleMs: number;
  /** A process exits after this many jobs, and the next job starts a fresh one. */
  maxJobs: number;
  /** A job still running after this long has its process killed. */
  timeoutMs: number;
  /** How much nicer than this process the workers are (added to our own nice value, at most 19). */
  niceness: number;
  warn?: (detail: object, message: string) => void;
}

/** A job whose process ended before it answered: it crashed or was killed, ran out of time, or the pool closed. */
export class WorkerLost extends Error {
  constructor(readonly reason: "crashed" | "timeout" | "closed", message: string) {
    super(message);
  }
}

interface Job {
  id: number;
  request: object;
  resolve(reply: unknown): void;
  reject(err: Error): void;
}

interface Worker {
  child: ChildProcess;
  pid?: number;
  done: number;
  job?: Job;
  timer?: NodeJS.Timeout;
  idle?: NodeJS.Timeout;
  timedOut?: boolean;
  retiring?: boolean;
  exited: Promise<void>;
  markExited(): void;
}

export interface PoolStats<Req = object> {
  /** Live worker processes: jobs done, and the request of the one running (if any). */
  workers: { pid: number; jobs: number; busy: boolean; request?: Req }[];
  queued: number;
}

/** A worker that ignores a disconnect (its main thread stuck) is killed after this long. */
const RETIRE_GRACE_MS = 2000;

export class ProcessPool<Req extends object, Res> {
  private workers = new Set<Worker>();
  private queue: Job[] = [];
  private nextId = 1;
  private priorityWarned = false;

  constructor(private readonly o: ProcessPoolOptions) {}

  /** Runs one job in a worker process (started if none is free); resolves with the worker's reply. */
  run(request: Req): Promise<Res> {
    return new Promise<Res>((resolve, reject) => {
      this.queue.push({ id: this.nextId++, request, resolve: resolve as (r: unknown) => void, reject });
      this.dispatch();
    });
  }

  stats(): PoolStats<Req> {
    const live = [...this.workers].filter((w) => w.pid !== undefined);
    return {
      workers: live.map((w) => ({ pid: w.pid!, jobs: w.done, busy: Boolean(w.job), request: w.job?.request as Req | undefined })),
      queued: this.queue.length,
    };
  }

  /**
   * Ends every worker process and resolves once all have exited. Queued jobs and any job still running are
   * rejected (a graceful shutdown closes the pool only after in-flight requests have finished). A later
   * job starts workers again.
   */
  async close(): Promise<void> {
    for (const job of this.queue.splice(0)) job.reject(new WorkerLost("closed", "the pool was closed"));
    for (const w of this.workers) {
      if (!w.job) this.retire(w);
      else {
        w.retiring = true;
        w.child.kill("SIGKILL");
      }
    }
    await Promise.all([...this.workers].map((w) => w.exited));
  }

  private dispatch(): void {
    while (this.queue.length) {
      let free = [...this.workers].find((w) => !w.job && !w.retiring);
      if (!free) {
        if ([...this.workers].filter((w) => !w.retiring).length >= this.o.size) return;
        free = this.spawn();
      }
      this.assign(free, this.queue.shift()!);
    }
  }

  private spawn(): Worker {
    const child = fork(this.o.entry, [], {
      execArgv: this.o.execArgv,
      // Structured clone instead of JSON: the encoded pictures cross as Buffers, not as arrays of numbers.
      serialization: "advanced",
      // glibc gives each thread that allocates its own malloc arena (up to 8 per core), and decoded pictures
      // leave each arena fragmented. Two arenas: a worker encoding 5 MP photos stays at ~155 MB instead of
      // growing to ~245 MB over 240 jobs (measured; bench/README.md). glibc reads it when the process starts.
      env: { ...process.env, MALLOC_ARENA_MAX: "2" },
    });
    let markExited!: () => void;
    const exited = new Promise<void>((resolve) => (markExited = resolve));
    const w: Worker = { child, pid: child.pid, done: 0, exited, markExited };
    this.workers.add(w);
    if (child.pid !== undefined) this.lowerPriority(child.pid);
    child.on("message", (reply: { id: number }) => this.answered(w, reply));
    child.on("exit", (code, signal) => this.ended(w, code, signal));
    child.on("error", (err) => {
      // No pid: the process could not be started, and no "exit" will follow. Otherwise a message could not
      // be sent or a signal delivered: killing it ends the job through "exit".
      if (child.pid === undefined) this.ended(w, null, null, err);
      else child.kill("SIGKILL");
    });
    return w;
  }

  /**
   * Node has no way to lower the priority of its own libuv or libvips threads; a process it has forked can be
   * made nicer, so that on a busy core the web process's event loop runs first and encoding takes the time
   * left over. Linux keeps a nice value per thread and a new thread inherits its creator's: this runs right
   * after fork() returns, before the child's Node has started any thread, so all of them (libuv's pool,
   * libvips' workers) run at the lower priority. Raising it back would need privileges; lowering never does.
   * Should it still fail (a sandbox forbidding setpriority), the upload works at normal priority: said once.
   */
  private lowerPriority(pid: number): void {
    try {
      os.setPriority(pid, Math.min(19, os.getPriority() + this.o.niceness));
    } catch (err) {
      if (this.priorityWarned) return;
      this.priorityWarned = true;
      this.o.warn?.({ err }, "could not lower the image workers' priority; they run at the web process's");
    }
  }

  private assign(w: Worker, job: Job): void {
    clearTimeout(w.idle);
    w.job = job;
    // While a job runs its process keeps us alive (a caller is waiting); an idle one must not hold up an exit.
    w.child.ref();
    w.child.channel?.ref();
    w.timer = setTimeout(() => {
      w.timedOut = true;
      w.child.kill("SIGKILL");
    }, this.o.timeoutMs);
    w.child.send({ id: job.id, ...job.request });
  }

  private answered(w: Worker, reply: { id: number }): void {
    const job = w.job;
    if (!job || reply?.id !== job.id) return;
    clearTimeout(w.timer);
    w.job = undefined;
    w.done++;
    w.child.unref();
    w.child.channel?.unref();
    const { id: _, ...rest } = reply;
    job.resolve(rest);
    if (w.done >= this.o.maxJobs) this.retire(w);
    this.dispatch();
    if (!w.job && !w.retiring) w.idle = setTimeout(() => this.retire(w), this.o.idleMs).unref();
  }

  /** Asks an idle worker to exit: closing its IPC channel is its signal (see image-worker.ts). */
  private retire(w: Worker): void {
    if (w.retiring) return;
    w.retiring = true;
    clearTimeout(w.idle);
    if (w.child.connected) w.child.disconnect();
    // Held until it has exited, or close() could be left waiting in a process with nothing else to do.
    w.child.ref();
    const kill = setTimeout(() => w.child.kill("SIGKILL"), RETIRE_GRACE_MS).unref();
    void w.exited.then(() => clearTimeout(kill));
  }

  private ended(w: Worker, code: number | null, signal: NodeJS.Signals | null, err?: Error): void {
    if (!this.workers.delete(w)) return;
    clearTimeout(w.timer);
    clearTimeout(w.idle);
    w.markExited();
    const job = w.job;
    if (job) {
      w.job = undefined;
      const reason = w.timedOut ? "timeout" : w.retiring ? "closed" : "crashed";
      this.o.warn?.({ pid: w.pid, code, signal, err, reason }, "an image worker ended during a job");
      job.reject(new WorkerLost(reason, `worker ${w.pid ?? "(not started)"} ended (${signal ?? code ?? err?.message}) during a job`));
    }
    // The queue goes on, on a fresh process.
    this.dispatch();
  }
}
