/** Amounts typed by a person -> integer fen (or basis points), without floats: "2.5" -> 250. */
export function parseYuan(text: string | number | null | undefined): number | null {
  const match = /^\s*(\d{1,9})(?:\.(\d{1,2}))?\s*$/.exec(String(text ?? ""));
  if (!match) return null;
  return Number(match[1]) * 100 + Number((match[2] ?? "").padEnd(2, "0"));
}
