/** Client-side CSV for Excel: UTF-8 with a BOM (without it Excel on Windows shows Chinese as mojibake),
 * CRLF lines, every cell quoted when it must be, and a cell that starts like a formula made inert. */
import { formatYuan } from "@courtyard/shared";

export type Cell = string | number | boolean | null | undefined;

function cell(value: Cell): string {
  let text = value === null || value === undefined ? "" : String(value);
  // A cell beginning with = + - @ would run as a formula in Excel (CSV injection); amounts are never negative.
  if (/^[=+\-@]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function csvText(rows: Cell[][]): string {
  return `\uFEFF${rows.map((row) => row.map(cell).join(",")).join("\r\n")}\r\n`;
}

/** Yuan as a plain number for a spreadsheet (no symbol, no thousands separator): 123450 -> "1234.50". */
export function yuanCell(fen: number): string {
  return formatYuan(fen, "").replaceAll(",", "");
}

export function download(filename: string, rows: Cell[][]): void {
  const url = URL.createObjectURL(new Blob([csvText(rows)], { type: "text/csv;charset=utf-8" }));
  const link = document.createElement("a");
  link.href = url;
  link.download = filename;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
