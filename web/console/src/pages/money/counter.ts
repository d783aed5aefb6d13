/** The counter's arithmetic, pure: what money handed over leaves due on the picked bills, or what it leaves
 * over (the API settles the unit's other open bills with it first, then keeps the rest as credit); and whether
 * picked bills belong to one unit (a counter payment is always for one unit). */

export interface CounterSplit {
  /** what the picked bills still ask for after this money (a part-payment) */
  rest: number;
  /** what this money leaves over the picked bills */
  over: number;
}

export function counterSplit(payable: number, amount: number): CounterSplit {
  return { rest: Math.max(payable - amount, 0), over: Math.max(amount - payable, 0) };
}

/** The one unit the bills belong to, or null when they are of several units (or none are given). */
export function oneUnit(bills: readonly { unit_id: string }[]): string | null {
  const units = new Set(bills.map((b) => b.unit_id));
  return units.size === 1 ? [...units][0]! : null;
}
