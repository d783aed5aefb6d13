/** A fee item's price over time, pure: the month after a day (where a price change usually starts), and the
 * item's later prices in month order, as the API keeps them (`prices`: from_period and price_minor). */

/** "2026-12-07" -> "2027-01". */
export function nextMonth(day: string): string {
  const [y, m] = day.split("-").map(Number);
  const year = (y ?? 1970) + ((m ?? 1) === 12 ? 1 : 0);
  const month = ((m ?? 1) % 12) + 1;
  return `${year}-${String(month).padStart(2, "0")}`;
}

export interface PriceStep {
  from: string;
  price: number;
}

/** The item's later prices, oldest first; entries the API sends malformed are left out, not guessed. */
export function laterPrices(prices: readonly Record<string, unknown>[] = []): PriceStep[] {
  return prices
    .filter((p) => typeof p.from_period === "string" && Number.isInteger(p.price_minor))
    .map((p) => ({ from: p.from_period as string, price: p.price_minor as number }))
    .sort((a, b) => a.from.localeCompare(b.from));
}
