/** The Money page's pure rules: what a counter payment leaves due or over, which unit ticked bills are for,
 * and a fee item's later prices in month order. */
import { describe, expect, it } from "vitest";

import { counterSplit, oneUnit } from "../src/pages/money/counter";
import { laterPrices, nextMonth } from "../src/pages/money/feeVersions";

describe("the counter", () => {
  it("says what a part-payment leaves due", () => {
    expect(counterSplit(20000, 10000)).toEqual({ rest: 10000, over: 0 });
  });

  it("says what money beyond the bills leaves over", () => {
    expect(counterSplit(20000, 25050)).toEqual({ rest: 0, over: 5050 });
  });

  it("leaves nothing either way when the amount is exact", () => {
    expect(counterSplit(12345, 12345)).toEqual({ rest: 0, over: 0 });
  });

  it("takes bills of one unit only", () => {
    expect(oneUnit([{ unit_id: "u1" }, { unit_id: "u1" }])).toBe("u1");
    expect(oneUnit([{ unit_id: "u1" }, { unit_id: "u2" }])).toBeNull();
    expect(oneUnit([])).toBeNull();
  });
});

describe("fee item prices over time", () => {
  it("starts a change next month, across the year's end", () => {
    expect(nextMonth("2026-12-07")).toBe("2027-01");
    expect(nextMonth("2027-01-31")).toBe("2027-02");
    expect(nextMonth("2027-09-01")).toBe("2027-10");
  });

  it("lists later prices oldest first and leaves out what is malformed", () => {
    expect(
      laterPrices([
        { from_period: "2027-06", price_minor: 300 },
        { from_period: "2027-01", price_minor: 250 },
        { from_period: "2027-03", price_minor: "x" },
      ]),
    ).toEqual([
      { from: "2027-01", price: 250 },
      { from: "2027-06", price: 300 },
    ]);
  });
});
