// A worker that runs in the app process (the mail outbox, background data exports): `kick()` after a commit that
// gave it work, `drain()` to wait for it, and `start()` to also look on its own every so often (work queued by another
// process, retries coming due, work left by a process that died). One run at a time; a kick during a run makes it
// look once more when the run ends.
import type { Logger } from "pino";

export class BackgroundLoop {
  private running: Promise<void> | null = null;
  private again = false;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(
    /** One pass over the work there is; `stopped()` tells a long pass to end early. */
    private pass: (stopped: () => boolean) => Promise<void>,
    private logger: Logger,
    /** What the log calls it when a pass fails (the database is away: the next poll tries again). */
    private name: string,
  ) {}

  kick(): void {
    void this.drain();
  }

  drain(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      try {
        do {
          this.again = false;
          await this.pass(() => this.stopped);
        } while (this.again && !this.stopped);
      } catch (err) {
        this.logger.error({ err }, `${this.name} failed`);
      } finally {
        this.running = null;
      }
    })();
    return this.running;
  }

  start(pollMs: number): void {
    const tick = () => {
      if (this.stopped) return;
      this.kick();
      this.timer = setTimeout(tick, pollMs);
      this.timer.unref();
    };
    tick();
  }

  /** Stops polling and waits for a pass in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }
}
