/** The gate's offline verdict (pages/guard/offline.ts): the signed revocation list refuses a revoked pass, a
 * forged or foreign list is ignored, a single-use pass (`ol`) is admitted only while the kept list is younger
 * than its offline validity, and the entries this gate already admitted count. Real ES256 signatures (WebCrypto),
 * as the KMS-signed tokens and lists of functions/visitors. */
import { describe, expect, it } from "vitest";

import { keepRevocations, keptRevocations, offlineVerdict, readRevocationList, type OfflineInputs } from "../src/pages/guard/offline";
import { verifyToken, type Jwks } from "../src/pages/pass/token";

const b64url = (bytes: Uint8Array): string =>
  btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
const text = (value: unknown): string => b64url(new TextEncoder().encode(JSON.stringify(value)));

async function issuer(kid: string): Promise<{ jwks: Jwks; sign: (typ: string, body: object) => Promise<string> }> {
  const pair = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign", "verify"]);
  const jwk = await crypto.subtle.exportKey("jwk", pair.publicKey);
  return {
    jwks: { keys: [{ kty: "EC", crv: "P-256", x: jwk.x!, y: jwk.y!, kid, alg: "ES256", use: "sig" }] },
    async sign(typ, body) {
      const input = `${text({ alg: "ES256", kid, typ })}.${text(body)}`;
      const signature = await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, pair.privateKey, new TextEncoder().encode(input));
      return `${input}.${b64url(new Uint8Array(signature))}`;
    },
  };
}

const at = (iso: string): number => Date.parse(iso) / 1000;
const now = new Date("2026-12-07T08:00:00Z");
const pass = { pid: "p1", tid: "t1", sid: "s1", nbf: at("2026-12-07T07:00:00Z"), exp: at("2026-12-07T12:00:00Z"), v: 1 };
const singleUse = { ...pass, pid: "p2", ol: 900 };
const listBody = (iat: number, revoked: string[], extra: object = {}) => ({
  tid: "t1",
  sid: "s1",
  iat,
  exp: iat + 900,
  rev: revoked.map((pid) => ({ pid, exp: pass.exp })),
  v: 1,
  ...extra,
});

async function setup(listIat = at("2026-12-07T07:55:00Z"), revoked = ["p1"]) {
  const firm = await issuer("k1");
  const list = await readRevocationList(await firm.sign("vrevoke+jwt", listBody(listIat, revoked)), firm.jwks, "s1");
  const inputs: OfflineInputs = { tenantId: "t1", keys: firm.jwks, siteId: "s1", gateId: "main", list, admittedHere: 0, now };
  return { firm, list, inputs };
}

describe("the signed revocation list", () => {
  it("is read only when its signature verifies, it is a list and it is this community's", async () => {
    const { firm, list } = await setup();
    expect(list).toMatchObject({ tid: "t1", sid: "s1", rev: [{ pid: "p1" }] });
    const other = await issuer("k1");
    const forged = await other.sign("vrevoke+jwt", listBody(at("2026-12-07T07:55:00Z"), []));
    expect(await readRevocationList(forged, firm.jwks, "s1")).toBeNull();
    const asPass = await firm.sign("vpass+jwt", listBody(at("2026-12-07T07:55:00Z"), []));
    expect(await readRevocationList(asPass, firm.jwks, "s1")).toBeNull();
    const elsewhere = await firm.sign("vrevoke+jwt", listBody(at("2026-12-07T07:55:00Z"), [], { sid: "s2" }));
    expect(await readRevocationList(elsewhere, firm.jwks, "s1")).toBeNull();
  });

  it("never passes for a pass at the gate (its type is not a pass's)", async () => {
    const { firm } = await setup();
    const list = await firm.sign("vrevoke+jwt", { ...pass, ...listBody(at("2026-12-07T07:55:00Z"), []) });
    expect(await verifyToken(list, firm.jwks, { now })).toMatchObject({ ok: false, reason: "bad_signature" });
  });

  it("is kept per community", () => {
    const items = new Map<string, string>();
    const storage = { getItem: (k: string) => items.get(k) ?? null, setItem: (k: string, v: string) => void items.set(k, v) };
    keepRevocations("s1", "jws-1", storage);
    expect(keptRevocations("s1", storage)).toBe("jws-1");
    expect(keptRevocations("s2", storage)).toBeNull();
  });
});

describe("offlineVerdict", () => {
  it("refuses a revoked pass and admits a valid one", async () => {
    const { firm, inputs } = await setup();
    expect(await offlineVerdict(await firm.sign("vpass+jwt", pass), inputs)).toMatchObject({ reason: "revoked" });
    const other = { ...pass, pid: "p9" };
    expect(await offlineVerdict(await firm.sign("vpass+jwt", other), inputs)).toEqual({ reason: null, claims: other });
  });

  it("ignores a list of another firm for this pass", async () => {
    const { firm, inputs } = await setup();
    const foreign = { ...inputs, list: { ...inputs.list!, tid: "t2" } };
    expect(await offlineVerdict(await firm.sign("vpass+jwt", pass), foreign)).toMatchObject({ reason: null });
  });

  it("admits a single-use pass only while the list is younger than its offline validity", async () => {
    const { firm, inputs } = await setup(at("2026-12-07T07:45:00Z"), []);
    const token = await firm.sign("vpass+jwt", singleUse);
    // The list was signed 15 minutes (900 s) before: exactly at the bound it still holds.
    expect(await offlineVerdict(token, inputs)).toMatchObject({ reason: null });
    const later = { ...inputs, now: new Date("2026-12-07T08:00:01Z") };
    expect(await offlineVerdict(token, later)).toMatchObject({ reason: "stale_list" });
    expect(await offlineVerdict(token, { ...inputs, list: null })).toMatchObject({ reason: "stale_list" });
    // A pass without `ol` (several entries) still goes on the kept list however old.
    expect(await offlineVerdict(await firm.sign("vpass+jwt", pass), { ...later, list: null })).toMatchObject({ reason: null });
  });

  it("counts the entries used online and those this gate admitted offline", async () => {
    const { firm, inputs } = await setup(at("2026-12-07T07:55:00Z"), []);
    const token = await firm.sign("vpass+jwt", singleUse);
    const known = { entries_used: 0, entries_allowed: 1 };
    expect(await offlineVerdict(token, { ...inputs, known })).toMatchObject({ reason: null });
    expect(await offlineVerdict(token, { ...inputs, known, admittedHere: 1 })).toMatchObject({ reason: "exhausted" });
  });

  it("refuses a pass of another firm as such, even one its own firm's key would verify", async () => {
    const { firm, inputs } = await setup();
    const theirs = { ...pass, pid: "p7", tid: "t2" };
    // Another firm's pass, whoever signed it: this gate holds its own firm's keys only and says so.
    expect(await offlineVerdict(await firm.sign("vpass+jwt", theirs), inputs)).toEqual({ reason: "other_firm", claims: theirs });
    const foreignFirm = await issuer("k2");
    expect(await offlineVerdict(await foreignFirm.sign("vpass+jwt", theirs), inputs)).toMatchObject({ reason: "other_firm" });
    // The same pass at its own firm's gate is judged on its merits.
    const theirGate = { ...inputs, tenantId: "t2", keys: foreignFirm.jwks, list: null };
    expect(await offlineVerdict(await foreignFirm.sign("vpass+jwt", theirs), theirGate)).toEqual({ reason: null, claims: theirs });
  });

  it("keeps the signature, window, community and gate checks", async () => {
    const { firm, inputs } = await setup();
    const other = await issuer("k1");
    const p = { ...pass, pid: "p9" };
    expect(await offlineVerdict(await other.sign("vpass+jwt", p), inputs)).toMatchObject({ reason: "bad_signature" });
    const late = { ...inputs, now: new Date("2026-12-07T12:00:00Z") };
    expect(await offlineVerdict(await firm.sign("vpass+jwt", p), late)).toMatchObject({ reason: "expired" });
    expect(await offlineVerdict(await firm.sign("vpass+jwt", { ...p, sid: "s2" }), inputs)).toMatchObject({ reason: "wrong_site" });
    expect(await offlineVerdict(await firm.sign("vpass+jwt", { ...p, gates: ["north"] }), inputs)).toMatchObject({ reason: "wrong_site" });
  });
});
