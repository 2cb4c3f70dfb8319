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
  /** At most this many processes, each running one job at a time; further jobs wait (see dispatch). */
  size: number;
  /**
   * At most this many jobs of one owner run at once (Infinity: no limit). Jobs without an owner are each their
   * own owner. Changed with setPerOwner (the image pool takes it from the config once the app starts).
   */
  perOwner?: number;
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
  owner: Owner;
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

/** Whose job it is (a user id): jobs are shared out fairly between owners, not in order of arrival. */
export type Owner = string | number | symbol;

export interface PoolStats<Req = object> {
  /** Live worker processes: jobs done, and the request (and owner) of the one running (if any). */
  workers: { pid: number; jobs: number; busy: boolean; request?: Req; owner?: Owner }[];
  queued: number;
  /** Per owner with a job running or waiting: how many of each (owners without jobs are not listed). */
  owners: { owner: Owner; running: number; queued: number }[];
}

/** One owner's waiting jobs (oldest first), how many of theirs run, and when one of theirs last started. */
interface OwnerState {
  queue: Job[];
  running: number;
  lastStart: number;
}

/** A worker that ignores a disconnect (its main thread stuck) is killed after this long. */
const RETIRE_GRACE_MS = 2000;

export class ProcessPool<Req extends object, Res> {
  private workers = new Set<Worker>();
  private owners = new Map<Owner, OwnerState>();
  private queued = 0;
  private nextId = 1;
  /** Counts job starts: an owner's lastStart says how long ago they were last served. */
  private starts = 0;
  private perOwner: number;
  private priorityWarned = false;

  constructor(private readonly o: ProcessPoolOptions) {
    this.perOwner = o.perOwner ?? Infinity;
  }

  /** How many jobs of one owner may run at once, from now on (running jobs are not stopped). */
  setPerOwner(n: number): void {
    this.perOwner = n;
    this.dispatch();
  }

  /**
   * Runs one job in a worker process (started if none is free); resolves with the worker's reply. `owner` says
   * whose it is (see dispatch); without one the job is an owner of its own.
   */
  run(request: Req, owner: Owner = Symbol("job")): Promise<Res> {
    return new Promise<Res>((resolve, reject) => {
      let state = this.owners.get(owner);
      if (!state) this.owners.set(owner, (state = { queue: [], running: 0, lastStart: -1 }));
      state.queue.push({ id: this.nextId++, owner, request, resolve: resolve as (r: unknown) => void, reject });
      this.queued++;
      this.dispatch();
    });
  }

  stats(): PoolStats<Req> {
    const live = [...this.workers].filter((w) => w.pid !== undefined);
    return {
      workers: live.map((w) => ({
        pid: w.pid!, jobs: w.done, busy: Boolean(w.job), request: w.job?.request as Req | undefined, owner: w.job?.owner,
      })),
      queued: this.queued,
      owners: [...this.owners].map(([owner, s]) => ({ owner, running: s.running, queued: s.queue.length })),
    };
  }

  /**
   * Ends every worker process and resolves once all have exited. Queued jobs and any job still running are
   * rejected (a graceful shutdown closes the pool only after in-flight requests have finished). A later
   * job starts workers again.
   */
  async close(): Promise<void> {
    for (const [owner, state] of this.owners) {
      for (const job of state.queue.splice(0)) job.reject(new WorkerLost("closed", "the pool was closed"));
      if (!state.running) this.owners.delete(owner);
    }
    this.queued = 0;
    for (const w of this.workers) {
      if (!w.job) this.retire(w);
      else {
        w.retiring = true;
        w.child.kill("SIGKILL");
      }
    }
    await Promise.all([...this.workers].map((w) => w.exited));
  }

  /**
   * Starts waiting jobs while there are free workers. Not in order of arrival: one person's burst (twenty large
   * animations) would make everyone queued behind it wait for all of it. The next job is the oldest of the owner
   * who has the fewest jobs running and, among those, was served longest ago (round robin), skipping owners who
   * already have perOwner jobs running. So a newcomer's job starts as soon as a worker frees up, after at most the
   * one job each busy worker is running, however much others have queued; and an owner at their limit leaves the
   * other workers to everyone else even when those stay idle (a limit that gives way under no load would not
   * protect the next person to come, who would then wait for a job to end).
   */
  private dispatch(): void {
    while (this.queued) {
      const next = this.nextOwner();
      if (!next) return;
      let free = [...this.workers].find((w) => !w.job && !w.retiring);
      if (!free) {
        if ([...this.workers].filter((w) => !w.retiring).length >= this.o.size) return;
        free = this.spawn();
      }
      const job = next.queue.shift()!;
      this.queued--;
      next.running++;
      next.lastStart = this.starts++;
      this.assign(free, job);
    }
  }

  private nextOwner(): OwnerState | undefined {
    let best: OwnerState | undefined;
    for (const s of this.owners.values()) {
      if (!s.queue.length || s.running >= this.perOwner) continue;
      if (
        !best ||
        s.running < best.running ||
        (s.running === best.running && (s.lastStart < best.lastStart || (s.lastStart === best.lastStart && s.queue[0].id < best.queue[0].id)))
      )
        best = s;
    }
    return best;
  }

  /** A job has ended (answered or lost): its owner has one fewer running, and is forgotten once they have none. */
  private finished(job: Job): void {
    const state = this.owners.get(job.owner);
    if (!state) return;
    state.running--;
    if (!state.running && !state.queue.length) this.owners.delete(job.owner);
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
    this.finished(job);
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
      this.finished(job);
      const reason = w.timedOut ? "timeout" : w.retiring ? "closed" : "crashed";
      this.o.warn?.({ pid: w.pid, code, signal, err, reason }, "an image worker ended during a job");
      job.reject(new WorkerLost(reason, `worker ${w.pid ?? "(not started)"} ended (${signal ?? code ?? err?.message}) during a job`));
    }
    // The queue goes on, on a fresh process.
    this.dispatch();
  }
}
