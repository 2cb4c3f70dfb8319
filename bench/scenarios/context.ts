// What every scenario gets: the servers, the seeded data, the durations, and the shared S1 probe.
import type { BenchDatabase } from "../lib/db";
import type { LoadResult } from "../lib/load";
import type { Pinning, ServerProcess } from "../lib/proc";
import type { LoggedIn, Seed } from "../lib/seed";

export interface Durations {
  /** Seconds each measured phase runs. */
  measureS: number;
  /** Seconds of discarded load before a measured phase. */
  warmS: number;
  /** Seconds S4's sender sends for. */
  chatS: number;
}

export interface Ctx {
  quick: boolean;
  round: number;
  d: Durations;
  app: ServerProcess;
  /** Started by S1 in its first round, measured in every round. */
  baseline?: ServerProcess;
  startBaseline: () => Promise<ServerProcess>;
  /** With --floor: the stack floor (bench/stack-floor.ts), started by S1 in its first round; null once it failed. */
  startFloor?: () => Promise<ServerProcess>;
  floor?: ServerProcess | null;
  db: BenchDatabase;
  seed: Seed;
  secret: string;
  pinning: Pinning;
  /** The logged-in S1 user (real login), and other users' real sessions. */
  s1: LoggedIn;
  s2: LoggedIn;
  s5: LoggedIn;
  /** The S6 user, owner of a seeded gallery. */
  g: LoggedIn;
  sender: LoggedIn;
  /** Cookies of the 1,000 chat members (copied sessions), by user id. */
  memberCookies: Map<number, string>;
  /** The fixed-rate S1 probe used while other work runs (S3, S5), and its unloaded reference. */
  probe: { rate: number; connections: number; unloaded?: LoadResult };
  log: (msg: string) => void;
  tmpDir: string;
  /** --profile: where CPU profiles go (one per scenario and server). */
  profileDir?: string;
}

export const S1_CONNECTIONS = 32;
export const PROBE_CONNECTIONS = 8;
/** The probe's rate as a share of S1's measured throughput: leaves headroom for the work under test. */
export const PROBE_SHARE = 0.2;
