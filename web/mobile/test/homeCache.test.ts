/** The home's parts kept on the phone (homeCache.ts): fresh inside their window and not after it (nor when the
 * clock went back), dropped by their page, by the app's writes to what they show and on sign-out, per account. */
import { beforeEach, describe, expect, it, vi } from "vitest";

import { drop, forgetAll, fresh, FRESH_FOR_MS, generation, keep, learnedFrom, partsWrittenBy } from "../src/composables/homeCache";

const store = new Map<string, string>();
vi.stubGlobal("window", {
  localStorage: {
    get length() {
      return store.size;
    },
    key: (i: number) => [...store.keys()][i] ?? null,
    getItem: (k: string) => store.get(k) ?? null,
    setItem: (k: string, v: string) => void store.set(k, v),
    removeItem: (k: string) => void store.delete(k),
  },
});

const NOW = Date.UTC(2026, 11, 7, 12, 0, 0);
const MINUTE = 60_000;

beforeEach(() => store.clear());

describe("freshness windows", () => {
  it("keeps a part for its window and not a moment longer", () => {
    keep("acct-1", "unread", 3, NOW);
    expect(fresh("acct-1", "unread", NOW + 9 * MINUTE)?.value).toBe(3);
    expect(fresh("acct-1", "unread", NOW + FRESH_FOR_MS.unread)).toBeNull();
  });

  it("gives the profile a week, the bills half a day and the busy figures ten minutes", () => {
    expect(FRESH_FOR_MS).toEqual({ profile: 7 * 24 * 60 * MINUTE, bills: 12 * 60 * MINUTE, repairs: 10 * MINUTE, unread: 10 * MINUTE });
  });

  it("does not trust a part kept in the future (the phone's clock went back)", () => {
    keep("acct-1", "bills", { due: 100, count: 1 }, NOW);
    expect(fresh("acct-1", "bills", NOW - MINUTE)).toBeNull();
  });

  it("keeps each account's parts apart", () => {
    keep("acct-1", "repairs", 2, NOW);
    expect(fresh("acct-2", "repairs", NOW)).toBeNull();
  });
});

describe("what drops a part", () => {
  it("drops only the parts named, for every account, and counts the drop", () => {
    keep("acct-1", "unread", 1, NOW);
    keep("acct-2", "unread", 5, NOW);
    keep("acct-1", "bills", { due: 0, count: 0 }, NOW);
    const before = generation();
    drop("unread");
    expect(fresh("acct-1", "unread", NOW)).toBeNull();
    expect(fresh("acct-2", "unread", NOW)).toBeNull();
    expect(fresh("acct-1", "bills", NOW)).not.toBeNull();
    expect(generation()).toBe(before + 1);
  });

  it("forgets everything on sign-out", () => {
    keep("acct-1", "profile", { units: [], primaryLabel: "" }, NOW);
    store.set("courtyard.identity.device", "d1");
    forgetAll();
    expect(fresh("acct-1", "profile", NOW)).toBeNull();
    expect(store.get("courtyard.identity.device")).toBe("d1");
  });

  it("maps the app's writes to the parts they change, and reads to none", () => {
    expect(partsWrittenBy("POST", "/api/payments")).toEqual(["bills"]);
    expect(partsWrittenBy("POST", "/api/tickets")).toEqual(["repairs"]);
    expect(partsWrittenBy("POST", "/api/tickets/T1/rating")).toEqual(["repairs"]);
    expect(partsWrittenBy("POST", "/api/inbox/M1/read")).toEqual(["unread"]);
    expect(partsWrittenBy("POST", "/api/invites/ABC/accept")).toEqual(["profile"]);
    expect(partsWrittenBy("POST", "/api/me/units/U1/leave")).toEqual(["profile"]);
    expect(partsWrittenBy("POST", "/api/me/push-endpoints")).toEqual([]);
    expect(partsWrittenBy("GET", "/api/bills")).toEqual([]);
  });
});

describe("what the pages' answers tell the home", () => {
  const q = (s: string) => new URLSearchParams(s);
  const bill = (status: string, amount_payable: number) => ({ status, amount_payable });

  it("takes the bills page's list as the home's bills (the same request)", () => {
    const body = { items: [bill("issued", 12800), bill("paid", 500), bill("issued", 200)], next_cursor: null };
    expect(learnedFrom("/api/bills", q("limit=100"), body, false)).toEqual({ part: "bills", value: { due: 13000, count: 2 } });
  });

  it("never takes a family member's bills (子女代办) as the phone owner's", () => {
    expect(learnedFrom("/api/bills", q("limit=100"), { items: [], next_cursor: null }, true)).toBeNull();
  });

  it("counts open repairs from the repairs page when it holds them all, and drops them when it does not", () => {
    const items = [{ status: "assigned" }, { status: "closed" }, { status: "submitted" }];
    expect(learnedFrom("/api/tickets", q("mine=true&limit=20"), { items, next_cursor: null }, false)).toEqual({ part: "repairs", value: 2 });
    expect(learnedFrom("/api/tickets", q("mine=true&limit=20"), { items, next_cursor: "c" }, false)).toEqual({ drop: ["repairs"] });
    expect(learnedFrom("/api/tickets", q("status=closed"), { items, next_cursor: null }, false)).toBeNull();
  });

  it("counts unread messages from a whole inbox, and drops the count after a partial one", () => {
    const items = [{ read_at: null }, { read_at: "2026-12-07T08:00:00Z" }];
    expect(learnedFrom("/api/inbox", q("limit=30"), { items, next_cursor: null }, false)).toEqual({ part: "unread", value: 1 });
    expect(learnedFrom("/api/inbox", q("limit=30"), { items, next_cursor: "c" }, false)).toEqual({ drop: ["unread"] });
    expect(learnedFrom("/api/inbox/unread-count", q(""), { unread: 4 }, false)).toEqual({ part: "unread", value: 4 });
  });

  it("drops the bills when a payment's state is looked at (the provider may have settled it)", () => {
    expect(learnedFrom("/api/payments/P1", q(""), { status: "succeeded" }, false)).toEqual({ drop: ["bills"] });
  });
});
