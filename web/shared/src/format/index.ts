/** The one place money and times become text: money in yuan from integer fen, times in the firm's zone. */
import { DEFAULT_TIME_ZONE } from "../config/index";

let firmTimeZone = DEFAULT_TIME_ZONE;

export function setTimeZone(zone: string): void {
  firmTimeZone = zone || DEFAULT_TIME_ZONE;
}

export function timeZone(): string {
  return firmTimeZone;
}

/** `123450` fen -> `¥1,234.50`. Integer arithmetic only: the API's money never passes through a float. */
export function formatYuan(fen: number, currencySymbol = "¥"): string {
  if (!Number.isInteger(fen)) throw new TypeError(`money must be integer fen, got ${fen}`);
  const sign = fen < 0 ? "-" : "";
  const abs = Math.abs(fen);
  const yuan = Math.trunc(abs / 100).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  const cents = (abs % 100).toString().padStart(2, "0");
  return `${sign}${currencySymbol}${yuan}.${cents}`;
}

function parts(iso: string, zone: string, options: Intl.DateTimeFormatOptions): Record<string, string> {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) throw new RangeError(`not a time: ${iso}`);
  const out: Record<string, string> = {};
  for (const part of new Intl.DateTimeFormat("en-GB", { timeZone: zone, hourCycle: "h23", ...options }).formatToParts(date)) {
    out[part.type] = part.value;
  }
  return out;
}

/** `2026-03-01T16:05:00Z` -> `2026-03-02 00:05` in Asia/Shanghai (24-hour, as Chinese offices write it). */
export function formatDateTime(iso: string | null | undefined, zone: string = firmTimeZone): string {
  if (!iso) return "—";
  const p = parts(iso, zone, {
    year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit",
  });
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}`;
}

export function formatDate(iso: string | null | undefined, zone: string = firmTimeZone): string {
  if (!iso) return "—";
  const p = parts(iso, zone, { year: "numeric", month: "2-digit", day: "2-digit" });
  return `${p.year}-${p.month}-${p.day}`;
}

/** Today's date (YYYY-MM-DD) in the firm's zone, e.g. for "this month" queries. */
export function todayIn(zone: string = firmTimeZone, now: Date = new Date()): string {
  return formatDate(now.toISOString(), zone);
}

/** `96.5` -> `96.5%`; a missing figure is a dash, never `NaN%`. */
export function formatPercent(value: number | null | undefined, digits = 1): string {
  if (value === null || value === undefined || Number.isNaN(value)) return "—";
  return `${value.toFixed(digits)}%`;
}
