/** The Money page's pure rules: what a counter payment leaves due or over, which unit ticked bills are for,
 * a fee item's later prices in month order, and the month's figures as charts. */
import { describe, expect, it } from "vitest";

import { counterSplit, oneUnit } from "../src/pages/money/counter";
import { laterPrices, nextMonth } from "../src/pages/money/feeVersions";
import { AGES, barOption, CHANNELS } from "../src/pages/money/figures";

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

describe("the month's figures", () => {
  it("draws every channel in a fixed order, in fen, with yuan on the axis", () => {
    const option = barOption(
      CHANNELS.map((c, i) => ({ name: c, value: i * 100 })),
      "#000",
    );
    expect(option.xAxis.data).toEqual(["wechat", "alipay", "cash", "pos", "bank_transfer", "stripe", "sandbox"]);
    expect(option.series[0]!.data).toEqual([0, 100, 200, 300, 400, 500, 600]);
    expect(option.yAxis.axisLabel.formatter(123400)).toBe("¥1234");
    expect(option.tooltip.valueFormatter(123456)).toBe("¥1,234.56");
  });

  it("keeps the age buckets of the arrears report", () => {
    expect([...AGES]).toEqual(["0-30", "31-90", "90+"]);
  });
});
