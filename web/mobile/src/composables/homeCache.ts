/** The home's parts kept on the phone (issue 18: most of what a resident costs is the gateway's requests, and
 * the home asked for all of them at every open). Each part is kept with the time it was fetched and has its
 * own freshness window: the profile and units change rarely, bills monthly, the unread count and open repairs
 * often. An open fetches only the parts whose window has passed. A page that fetches what a part shows (the
 * bills page's list, the repairs of a resident, a whole inbox) refreshes it with no request of its own; a part
 * is dropped (fetched again at the next look) when the app changes it (a payment, a repair, a message read),
 * after a page that may have changed it elsewhere (a receipt, an invitation) and when a push message arrives;
 * pull-to-refresh fetches everything. What is shown from here says when it was fetched.
 *
 * bench/app_opens.py prices a month of opens with these windows (a unit test keeps the two equal). */
export type HomePart = "profile" | "unread" | "repairs" | "bills";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export const FRESH_FOR_MS: Record<HomePart, number> = {
  profile: 7 * DAY,
  bills: 12 * HOUR,
  repairs: 10 * MINUTE,
  unread: 10 * MINUTE,
};

export const HOME_PARTS = Object.keys(FRESH_FOR_MS) as HomePart[];

export interface Kept<T> {
  at: number;
  value: T;
}

const PREFIX = "courtyard.home.";
const keyOf = (account: string, part: HomePart): string => `${PREFIX}${account}.${part}`;

function storage(): Storage | null {
  try {
    return window.localStorage;
  } catch {
    return null; // storage refused (a private window): every open fetches, nothing is wrong
  }
}

/** The part as kept for ``account`` while it is fresh; null when missing, out of date or unreadable. */
export function fresh<T>(account: string, part: HomePart, now: number = Date.now()): Kept<T> | null {
  try {
    const raw = storage()?.getItem(keyOf(account, part));
    if (!raw) return null;
    const kept = JSON.parse(raw) as Kept<T>;
    // A clock set back (kept "in the future") is not trusted either.
    const age = now - kept.at;
    return age >= 0 && age < FRESH_FOR_MS[part] ? kept : null;
  } catch {
    return null;
  }
}

export function keep<T>(account: string, part: HomePart, value: T, at: number = Date.now()): void {
  try {
    storage()?.setItem(keyOf(account, part), JSON.stringify({ at, value } satisfies Kept<T>));
  } catch {
    // A full store only costs the next open a request.
  }
}

function keys(matches: (key: string) => boolean): string[] {
  const store = storage();
  if (!store) return [];
  const found: string[] = [];
  for (let i = 0; i < store.length; i++) {
    const key = store.key(i);
    if (key?.startsWith(PREFIX) && matches(key)) found.push(key);
  }
  return found;
}

let drops = 0;

/** Counts drops: a fetch that started before one must not keep what it got (it may predate the change). */
export function generation(): number {
  return drops;
}

/** Drop ``parts`` (every account on the phone): the next look fetches them. */
export function drop(...parts: HomePart[]): void {
  if (!parts.length) return;
  drops += 1;
  for (const key of keys((k) => parts.some((part) => k.endsWith(`.${part}`)))) storage()?.removeItem(key);
}

/** Forget everything kept (signing out: the next person on this phone sees nothing of the last one's). */
export function forgetAll(): void {
  drops += 1;
  for (const key of keys(() => true)) storage()?.removeItem(key);
}

/** Pages after which a part may have changed without a write of this app (a payment confirmed by the provider,
 * an invitation accepted): opening them drops the part. */
export const PAGE_PARTS: Record<string, HomePart[]> = {
  receipt: ["bills"],
  invite: ["profile"],
  join: ["profile"],
};

export const OPEN_STATUSES = ["submitted", "assigned", "accepted", "in_progress"] as const;

export const openRepairs = (items: Array<{ status: string }>): number =>
  items.filter((t) => (OPEN_STATUSES as readonly string[]).includes(t.status)).length;

export function billsDue(items: Array<{ status: string; amount_payable: number }>): { due: number; count: number } {
  const issued = items.filter((b) => b.status === "issued");
  return { due: issued.reduce((sum, b) => sum + b.amount_payable, 0), count: issued.length };
}

/** The home asks for the first HOME_PAGE items of a list; a page's answer tells the same when it holds them. */
export const HOME_PAGE = 100;

export type Learned = { part: HomePart; value: unknown } | { drop: HomePart[] } | null;

interface ListAnswer {
  items?: Array<Record<string, unknown>>;
  next_cursor?: string | null;
}

/** What a page's answer (a GET the app made anyway) tells the home: a part's value when the answer is what
 * the home would have asked for or holds the whole list, else the part is dropped (the page showed newer). */
export function learnedFrom(path: string, query: URLSearchParams, body: unknown, onBehalf: boolean): Learned {
  if (onBehalf) return null; // 子女代办: another person's bills
  const list = body as ListAnswer;
  const plain = (...allowed: string[]): boolean => [...query.keys()].every((k) => allowed.includes(k));
  const whole = (): boolean => !list.next_cursor || Number(query.get("limit") ?? 0) >= HOME_PAGE;
  const items = (list.items ?? []) as never[];
  if (/\/inbox\/unread-count$/.test(path)) return { part: "unread", value: (body as { unread: number }).unread };
  if (/\/payments\/[^/]+$/.test(path)) return { drop: ["bills"] };
  if (/\/bills$/.test(path) && plain("limit")) return whole() ? { part: "bills", value: billsDue(items) } : { drop: ["bills"] };
  if (/\/tickets$/.test(path) && plain("limit", "mine") && query.get("mine") === "true") {
    return whole() ? { part: "repairs", value: openRepairs(items) } : { drop: ["repairs"] };
  }
  if (/\/inbox$/.test(path) && plain("limit")) {
    if (list.next_cursor) return { drop: ["unread"] };
    return { part: "unread", value: (list.items ?? []).filter((m) => !m.read_at).length };
  }
  return null;
}

/** The parts a successful write changes, by the API path it went to. */
const WRITE_PARTS: Array<[RegExp, HomePart[]]> = [
  [/\/(payments|bills)(\/|$)/, ["bills"]],
  [/\/tickets(\/|$)/, ["repairs"]],
  [/\/inbox\//, ["unread"]],
  [/\/(invites\/[^/]+\/accept|me\/units\/|units\/)/, ["profile"]],
];

export function partsWrittenBy(method: string, path: string): HomePart[] {
  if (method.toUpperCase() === "GET" || method.toUpperCase() === "HEAD") return [];
  return WRITE_PARTS.filter(([pattern]) => pattern.test(path)).flatMap(([, parts]) => parts);
}
