/** The console's pure rules: amounts typed by a person, CSV for Excel, ticket colours and lateness, and the
 * alarm board's order of attention. */
import type { Schemas } from "@courtyard/shared";
import { describe, expect, it } from "vitest";

import { freshUrgent, isUrgent, ordered, type Alarm } from "../src/pages/devices/board";
import { csvText, yuanCell } from "../src/pages/money/csv";
import { parseYuan } from "../src/pages/money/yuan";
import { isOverdue, statusTag } from "../src/pages/tickets/tickets";

describe("amounts typed in yuan", () => {
  it("become integer fen without floating point", () => {
    expect(parseYuan("2.5")).toBe(250);
    expect(parseYuan(" 0.07 ")).toBe(7);
    expect(parseYuan("1200")).toBe(120000);
    expect(parseYuan(19.99)).toBe(1999);
  });

  it("refuse what is not an amount", () => {
    for (const bad of ["", "abc", "-1", "1.234", "1,000", null, undefined]) expect(parseYuan(bad), String(bad)).toBeNull();
  });
});

describe("CSV for Excel", () => {
  it("starts with a BOM, ends lines with CRLF and quotes what must be quoted", () => {
    expect(csvText([["房屋", "欠费"], ['1栋, "东"', 12]])).toBe('\uFEFF房屋,欠费\r\n"1栋, ""东""",12\r\n');
  });

  it("makes a cell that starts like a formula inert", () => {
    expect(csvText([["=HYPERLINK(1)", "+1", "@x", "-2"]])).toBe("\uFEFF'=HYPERLINK(1),'+1,'@x,'-2\r\n");
  });

  it("writes yuan as a plain number", () => {
    expect(yuanCell(123450)).toBe("1234.50");
    expect(yuanCell(123456789)).toBe("1234567.89");
  });
});

describe("tickets", () => {
  const ticket = (status: Schemas["TicketStatus"], resolveBy: string) =>
    ({ status, resolve_by: resolveBy }) as Schemas["TicketOut"];
  const now = Date.parse("2026-03-01T10:00:00Z");

  it("are overdue only while open and past the resolve-by time", () => {
    expect(isOverdue(ticket("assigned", "2026-03-01T09:59:00Z"), now)).toBe(true);
    expect(isOverdue(ticket("assigned", "2026-03-01T10:01:00Z"), now)).toBe(false);
    expect(isOverdue(ticket("resolved", "2026-02-01T00:00:00Z"), now)).toBe(false);
  });

  it("are red while nobody has them, grey once over", () => {
    expect(statusTag("submitted")).toBe("danger");
    expect(statusTag("closed")).toBe("info");
  });
});

describe("alarm board", () => {
  const alarm = (id: string, severity: string, status: string, raised: string) =>
    ({ alarm_id: id, severity, status, raised_at: raised }) as Alarm;

  it("keeps an unacknowledged critical alarm on top, acknowledged ones last", () => {
    const list = [
      alarm("acked-critical", "critical", "acknowledged", "2026-03-01T10:05:00Z"),
      alarm("minor", "minor", "active", "2026-03-01T10:04:00Z"),
      alarm("critical-old", "critical", "active", "2026-03-01T09:00:00Z"),
      alarm("critical-new", "critical", "active", "2026-03-01T10:00:00Z"),
      alarm("major", "major", "active", "2026-03-01T10:03:00Z"),
    ];
    expect(ordered(list).map((a) => a.alarm_id)).toEqual(["critical-new", "critical-old", "major", "minor", "acked-critical"]);
    expect(isUrgent(list[0]!)).toBe(false);
  });

  it("beeps for an urgent alarm once: those seen by an earlier poll are not fresh", () => {
    const list = [alarm("a", "critical", "active", "x"), alarm("b", "critical", "active", "y"), alarm("c", "major", "active", "z")];
    expect(freshUrgent(new Set(["a"]), list).map((a) => a.alarm_id)).toEqual(["b"]);
  });
});
