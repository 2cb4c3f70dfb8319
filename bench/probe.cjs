// Preloaded (`node -r bench/probe.cjs`) into each server the benchmark starts. It answers the benchmark over
// the child's IPC channel: event-loop delay, event-loop utilisation, CPU time and memory. This keeps the app's
// own code free of benchmark hooks: the production server runs unchanged, with only this observer attached.
"use strict";
const { monitorEventLoopDelay, performance, PerformanceObserver } = require("node:perf_hooks");

if (typeof process.send === "function") {
  // 5 ms timer resolution: fine enough for a p99 target of a few ms, cheap enough not to disturb the server.
  const delay = monitorEventLoopDelay({ resolution: 5 });
  delay.enable();
  let elu = performance.eventLoopUtilization();
  let cpu = process.cpuUsage();
  let since = performance.now();
  let session;

  const ms = (ns) => Math.round(ns / 1e4) / 100;

  // Garbage-collection pauses, to tell a GC stall from other work blocking the event loop.
  const GC_KINDS = { 1: "scavenge", 2: "minor-ms", 4: "mark-compact", 8: "incremental", 16: "weak-callbacks" };
  let gc = { count: 0, totalMs: 0, maxMs: 0, maxKind: "", over20: 0 };
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      gc.count++;
      gc.totalMs += e.duration;
      if (e.duration >= 20) gc.over20++;
      if (e.duration > gc.maxMs) {
        gc.maxMs = e.duration;
        gc.maxKind = GC_KINDS[e.detail?.kind] ?? String(e.detail?.kind);
      }
    }
  }).observe({ entryTypes: ["gc"] });

  // The server's child processes (the app's image workers): their CPU time and memory belong to the server's
  // bill. Read from /proc (Linux): CPU of live children per pid, plus what exited children left in the
  // server's own cutime/cstime once reaped. Clock ticks are 10 ms (USER_HZ 100).
  const fs = require("node:fs");
  const TICK_MS = 10;
  const statFields = (pid) => {
    const text = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return text.slice(text.lastIndexOf(")") + 2).split(" "); // fields from the 3rd (state) on
  };
  const childPids = () => {
    const pids = [];
    for (const tid of fs.readdirSync("/proc/self/task")) {
      const list = fs.readFileSync(`/proc/self/task/${tid}/children`, "utf8").trim();
      if (list) pids.push(...list.split(" ").map(Number));
    }
    return pids;
  };
  const readChildren = () => {
    const live = new Map();
    let rss = 0;
    for (const pid of childPids()) {
      try {
        const f = statFields(pid);
        live.set(pid, (Number(f[11]) + Number(f[12])) * TICK_MS); // utime + stime
        rss += Number(fs.readFileSync(`/proc/${pid}/statm`, "utf8").split(" ")[1]) * 4096;
      } catch {
        // exited between the listing and the read: its time shows up in reaped
      }
    }
    const own = statFields("self");
    return { live, rss, reapedMs: (Number(own[13]) + Number(own[14])) * TICK_MS }; // cutime + cstime
  };
  let childBase = null;
  const childSince = () => {
    const now = readChildren();
    const base = childBase ?? { live: new Map(), reapedMs: now.reapedMs };
    let cpuMs = now.reapedMs - base.reapedMs;
    for (const [pid, t] of now.live) cpuMs += t - (base.live.get(pid) ?? 0);
    for (const [pid, t] of base.live) if (!now.live.has(pid)) cpuMs -= t; // counted in reapedMs whole
    return { count: now.live.size, rss: now.rss, cpuMs: Math.max(0, cpuMs) };
  };
  const childrenSupported = fs.existsSync("/proc/self/task");
  if (childrenSupported) childBase = readChildren();

  const snapshot = () => {
    const m = process.memoryUsage();
    const u = performance.eventLoopUtilization(elu);
    const c = process.cpuUsage(cpu);
    return {
      pid: process.pid,
      wallMs: performance.now() - since,
      eld: { p50: ms(delay.percentile(50)), p99: ms(delay.percentile(99)), max: ms(delay.max), mean: ms(delay.mean) },
      elu: u.utilization,
      cpuMs: (c.user + c.system) / 1000,
      rss: m.rss,
      heapUsed: m.heapUsed,
      external: m.external,
      arrayBuffers: m.arrayBuffers,
      children: childrenSupported ? childSince() : null,
      gc: { ...gc, totalMs: Math.round(gc.totalMs), maxMs: Math.round(gc.maxMs * 10) / 10 },
    };
  };

  process.on("message", (msg) => {
    // (commands: reset, stats, gc, profile-start, profile-stop {file}, hash-time {hash, password, n})
    if (!msg || typeof msg !== "object" || msg.bench !== true) return;
    const reply = (data) => process.send({ bench: true, id: msg.id, data });
    // The observer must never take the server down: a failing command is answered, not thrown.
    try {
      handle(msg, reply);
    } catch (err) {
      reply({ ok: false, error: String(err) });
    }
  });

  function handle(msg, reply) {
    if (msg.cmd === "reset") {
      delay.reset();
      elu = performance.eventLoopUtilization();
      cpu = process.cpuUsage();
      since = performance.now();
      gc = { count: 0, totalMs: 0, maxMs: 0, maxKind: "", over20: 0 };
      if (childrenSupported) childBase = readChildren();
      reply({ ok: true });
    } else if (msg.cmd === "stats") {
      reply(snapshot());
    } else if (msg.cmd === "profile-start") {
      // The V8 sampling profiler behind --cpu-prof, driven through the inspector so one profile covers one
      // scenario and nothing of start-up. 1 ms sampling, as --cpu-prof uses by default.
      if (!session) {
        session = new (require("node:inspector").Session)();
        session.connect();
      }
      session.post("Profiler.enable", () =>
        session.post("Profiler.setSamplingInterval", { interval: 1000 }, () => session.post("Profiler.start", () => reply({ ok: true }))),
      );
    } else if (msg.cmd === "profile-stop") {
      if (!session) return reply({ ok: false });
      session.post("Profiler.stop", (err, result) => {
        if (err) return reply({ ok: false, error: String(err) });
        require("node:fs").writeFileSync(msg.file, JSON.stringify(result.profile));
        reply({ ok: true, file: msg.file });
      });
    } else if (msg.cmd === "hash-time") {
      // One bcrypt comparison's time on the server's own CPU, one at a time (for S3's ideal login rate):
      // the app's own bcrypt module, resolved from where the server was started.
      const bcrypt = require(require.resolve("bcrypt", { paths: [process.cwd()] }));
      const times = [];
      const next = () => {
        const t0 = performance.now();
        bcrypt.compare(msg.password, msg.hash).then(() => {
          times.push(performance.now() - t0);
          if (times.length < msg.n) return next();
          reply({ ok: true, times });
        }, (err) => reply({ ok: false, error: String(err) }));
      };
      next();
    } else if (msg.cmd === "gc") {
      // A full collection before reading memory, so garbage not yet collected does not pass for growth.
      if (typeof global.gc === "function") global.gc();
      setTimeout(() => reply(snapshot()), 200);
    }
  }
  // The channel must not keep a server alive on its own; and if the benchmark dies, its servers go with it.
  process.channel?.unref();
  process.on("disconnect", () => process.kill(process.pid, "SIGTERM"));
}
