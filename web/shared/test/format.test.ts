import { describe, expect, it } from "vitest";

import { formatDateTime, formatPercent, formatYuan } from "../src/format/index";

describe("formatYuan", () => {
  it("shows integer fen as yuan with thousands separators", () => {
    expect(formatYuan(123450)).toBe("¥1,234.50");
    expect(formatYuan(5)).toBe("¥0.05");
    expect(formatYuan(0)).toBe("¥0.00");
    expect(formatYuan(-100000001)).toBe("-¥1,000,000.01");
  });
  it("refuses a float: money never passes through one", () => {
    expect(() => formatYuan(12.5)).toThrow(TypeError);
  });
});

describe("formatDateTime", () => {
  it("shows UTC times in the firm's time zone", () => {
    expect(formatDateTime("2026-03-01T16:05:00Z", "Asia/Shanghai")).toBe("2026-03-02 00:05");
    expect(formatDateTime("2026-03-01T16:05:00Z", "UTC")).toBe("2026-03-01 16:05");
  });
  it("shows a dash for a missing time", () => {
    expect(formatDateTime(null)).toBe("—");
  });
});

it("formats a missing percentage as a dash", () => {
  expect(formatPercent(null)).toBe("—");
  expect(formatPercent(96.25)).toBe("96.3%");
});
