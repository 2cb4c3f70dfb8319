// The benchmark's verdicts across rounds (bench/lib/report.ts): a target is met in a majority of rounds.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { combineRounds, type Target } from "../../bench/lib/report";

const t = (what: string, actual: string, met: boolean | null): Target => ({ scenario: "S5", what, target: "<= 2x", actual, met });

describe("combineRounds", () => {
  it("keeps one round's targets as they are", () => {
    const one = [t("probe", "1.1x", true), t("lost", "0", false)];
    assert.deepEqual(combineRounds([one]), one);
  });

  it("needs both of two rounds, and more than half of three or five", () => {
    const verdict = (...mets: boolean[]) => combineRounds(mets.map((m, i) => [t("probe", `${i}`, m)]))[0].met;
    assert.equal(verdict(true, true), true);
    assert.equal(verdict(true, false), false);
    assert.equal(verdict(false, true), false);
    assert.equal(verdict(true, false, true), true);
    assert.equal(verdict(false, false, true), false);
    assert.equal(verdict(true, true, false, false, true), true);
    assert.equal(verdict(true, false, false, false, true), false);
  });

  it("shows every round's figure and judges only the rounds that could be evaluated", () => {
    const [probe, lost] = combineRounds([
      [t("probe", "1.2x", true), t("lost", "n/a", null)],
      [t("probe", "2.5x", false), t("lost", "0", true)],
      [t("probe", "1.4x", true)],
    ]);
    assert.equal(probe.actual, "r1: 1.2x; r2: 2.5x; r3: 1.4x");
    assert.equal(probe.met, true);
    assert.equal(lost.actual, "r1: n/a; r2: 0; r3: -");
    assert.equal(lost.met, true, "one evaluated round, met");
    assert.equal(combineRounds([[t("x", "n/a", null)], [t("x", "n/a", null)]])[0].met, null);
  });
});
