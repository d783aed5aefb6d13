/** The pass token check the visitor's page and an offline gate run: a real ES256 signature (WebCrypto, as the
 * KMS-signed tokens of functions/visitors/tokens.py), a tampered one, the window and the community. */
import { describe, expect, it } from "vitest";

import { keptKeys, passKeys, readClaims, tokenTenant, verifyToken, type Jwks } from "../src/pages/pass/token";

const b64url = (bytes: Uint8Array): string =>
  btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
const text = (value: unknown): string => b64url(new TextEncoder().encode(JSON.stringify(value)));

async function issuer(kid: string): Promise<{ jwks: Jwks; sign: (claims: object) => Promise<string> }> {
  const pair = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign", "verify"]);
  const jwk = await crypto.subtle.exportKey("jwk", pair.publicKey);
  return {
    jwks: { keys: [{ kty: "EC", crv: "P-256", x: jwk.x!, y: jwk.y!, kid, alg: "ES256", use: "sig" }] },
    async sign(claims) {
      const input = `${text({ alg: "ES256", kid, typ: "vpass+jwt" })}.${text(claims)}`;
      const signature = await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, pair.privateKey, new TextEncoder().encode(input));
      return `${input}.${b64url(new Uint8Array(signature))}`;
    },
  };
}

const now = new Date("2026-12-07T08:00:00Z");
const at = (iso: string): number => Date.parse(iso) / 1000;
const claims = { pid: "p1", tid: "t1", sid: "s1", nbf: at("2026-12-07T07:00:00Z"), exp: at("2026-12-07T12:00:00Z"), v: 1 };

describe("verifyToken", () => {
  it("accepts a pass signed by a published key inside its window", async () => {
    const { jwks, sign } = await issuer("k1");
    const token = await sign(claims);
    expect(await verifyToken(token, jwks, { now, siteId: "s1" })).toEqual({ ok: true, claims });
    expect(readClaims(token)).toEqual(claims);
  });

  it("refuses a changed payload, an unknown key and another algorithm as bad_signature", async () => {
    const { jwks, sign } = await issuer("k1");
    const other = await issuer("k2");
    const token = await sign(claims);
    const [header, , signature] = token.split(".");
    const forged = `${header}.${text({ ...claims, exp: claims.exp + 86_400 })}.${signature}`;
    expect(await verifyToken(forged, jwks, { now })).toMatchObject({ ok: false, reason: "bad_signature" });
    expect(await verifyToken(await other.sign(claims), jwks, { now })).toMatchObject({ ok: false, reason: "bad_signature" });
    const none = `${text({ alg: "none", kid: "k1" })}.${text(claims)}.`;
    expect(await verifyToken(none, jwks, { now })).toMatchObject({ ok: false, reason: "bad_signature" });
    expect(await verifyToken("not-a-token", jwks, { now })).toMatchObject({ ok: false, reason: "bad_signature" });
  });

  it("tells an expired, a not yet valid and another community's pass apart", async () => {
    const { jwks, sign } = await issuer("k1");
    const token = await sign(claims);
    expect(await verifyToken(token, jwks, { now: new Date("2026-12-07T12:00:00Z") })).toMatchObject({ ok: false, reason: "expired" });
    expect(await verifyToken(token, jwks, { now: new Date("2026-12-07T06:59:00Z") })).toMatchObject({ ok: false, reason: "not_yet_valid" });
    expect(await verifyToken(token, jwks, { now, siteId: "s2" })).toMatchObject({ ok: false, reason: "wrong_site" });
  });
});

describe("the firm's keys", () => {
  const memory = () => {
    const items = new Map<string, string>();
    return { getItem: (k: string) => items.get(k) ?? null, setItem: (k: string, v: string) => void items.set(k, v) };
  };

  it("reads the firm a token names, from its header's tid or its payload's", () => {
    const token = (header: object, payload: object) => `${text(header)}.${text(payload)}.sig`;
    expect(tokenTenant(token({ alg: "ES256", kid: "k1" }, claims))).toBe("t1");
    expect(tokenTenant(token({ alg: "ES256", kid: "k1", tid: "t9" }, { ...claims, tid: undefined }))).toBe("t9");
    expect(tokenTenant(token({ alg: "ES256" }, { pid: "p1" }))).toBeNull();
    expect(tokenTenant(token({ alg: "ES256" }, { tid: "../x" }))).toBeNull();
    expect(tokenTenant("not-a-token")).toBeNull();
  });

  it("asks for one firm's keys and keeps them per firm for offline use", async () => {
    const { jwks } = await issuer("k1");
    const storage = memory();
    const asked: string[] = [];
    const online = (async (url: string) => {
      asked.push(url);
      return new Response(JSON.stringify(jwks), { status: 200 });
    }) as unknown as typeof fetch;
    const offline = (async () => {
      throw new TypeError("Failed to fetch");
    }) as unknown as typeof fetch;

    expect(await passKeys("/api/", "t1", storage, online)).toEqual(jwks);
    expect(asked).toEqual(["/api/passes/keys?tenant_id=t1"]);
    expect(await passKeys("/api", "t1", storage, offline)).toEqual(jwks);
    expect(keptKeys("t1", storage)).toEqual(jwks);
    // Another firm's keys are never stood in for by these.
    expect(await passKeys("/api", "t2", storage, offline)).toBeNull();
    expect(await passKeys("/api", null, storage, online)).toBeNull();
    expect(asked).toHaveLength(1);
  });
});
