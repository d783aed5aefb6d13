/** Residents' sign-in through Courtyard identity (identity.ts): a phone number signs in there, a new phone is
 * confirmed by the texted code, the access token is refreshed (and the refresh token rotated) when due, and a
 * refused refresh (ended or reused elsewhere) signs the app out. User names keep Cognito. */
import { beforeEach, describe, expect, it, vi } from "vitest";

const store = new Map<string, string>();
vi.stubGlobal("localStorage", {
  getItem: (k: string) => store.get(k) ?? null,
  setItem: (k: string, v: string) => void store.set(k, v),
  removeItem: (k: string) => void store.delete(k),
});

const b64url = (value: unknown): string =>
  btoa(JSON.stringify(value)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
const access = (claims: object): string => `${b64url({ alg: "ES256" })}.${b64url(claims)}.sig`;
const RESIDENT = { sub: "acct-1", "cognito:username": "cy_acct-1", "custom:tenant_id": "t1", "cognito:groups": ["resident"], exp: 2e9 };

type Answer = { status: number; body: unknown };
const calls: { path: string; body: Record<string, unknown> }[] = [];
let answers: Answer[] = [];
vi.stubGlobal(
  "fetch",
  vi.fn(async (url: string, init: { body: string }) => {
    calls.push({ path: url.replace(/^.*\/identity\//, ""), body: JSON.parse(init.body) as Record<string, unknown> });
    const next = answers.shift() ?? { status: 500, body: {} };
    return { ok: next.status < 300, status: next.status, json: async () => next.body };
  }),
);

const config = { apiBase: "/api", region: "r", userPoolId: "p", userPoolClientId: "c", cognitoEndpoint: "/_c", stage: "dev", timeZone: "Asia/Shanghai" };

async function fresh() {
  vi.resetModules();
  const identity = await import("../src/identity");
  identity.startIdentity(config);
  return identity;
}

beforeEach(() => {
  store.clear();
  calls.length = 0;
  answers = [];
});

describe("Courtyard identity in the app", () => {
  it("a new phone gets the code step, the code signs in with the resident's claims", async () => {
    const identity = await fresh();
    answers = [{ status: 200, body: { challenge: "sms_code" } }];
    await expect(identity.signIn("138 0013 8000", "pass word 1")).rejects.toMatchObject({ code: "notConfirmed" });
    answers = [{ status: 200, body: { access_token: access(RESIDENT), refresh_token: "r1", expires_in: 900 } }];
    await identity.confirmSignUp("13800138000", "123456");
    expect(calls.map((c) => c.path)).toEqual(["sign-in", "confirm"]);
    expect(calls[0]!.body.phone).toBe("13800138000");
    expect(calls[0]!.body.device_id).toBe(calls[1]!.body.device_id);
    expect(identity.claims.value).toMatchObject({ sub: "acct-1", tenantId: "t1", roles: ["resident"] });
    expect(identity.isResident()).toBe(true);
  });

  it("names a refused texted code as a wrong code (for the field), not a wrong password", async () => {
    const identity = await fresh();
    answers = [{ status: 401, body: { error: { code: "unauthorized" } } }];
    await expect(identity.confirmSignUp("13800138000", "000000")).rejects.toMatchObject({ code: "wrongCode" });
    expect(identity.claims.value).toBeNull();
  });

  it("after an invitation, renews until the token carries the firm (identity binds on an event)", async () => {
    const identity = await fresh();
    const unbound = { ...RESIDENT, "custom:tenant_id": undefined, "cognito:groups": [] };
    answers = [{ status: 200, body: { access_token: access(unbound), refresh_token: "r1", expires_in: 900 } }];
    await identity.signIn("13800138000", "pass word 1");
    answers = [
      { status: 200, body: { access_token: access(unbound), refresh_token: "r2", expires_in: 900 } },
      { status: 200, body: { access_token: access(RESIDENT), refresh_token: "r3", expires_in: 900 } },
    ];
    const pauses: number[] = [];
    await identity.renew("t1", async (ms) => void pauses.push(ms));
    expect(calls.filter((c) => c.path === "refresh").map((c) => c.body.refresh_token)).toEqual(["r1", "r2"]);
    expect(pauses).toEqual([500]);
    expect(identity.claims.value?.tenantId).toBe("t1");
  });

  it("refreshes when due with the last refresh token and keeps the rotated one", async () => {
    const identity = await fresh();
    answers = [{ status: 200, body: { access_token: access(RESIDENT), refresh_token: "r1", expires_in: 30 } }];
    await identity.signIn("13800138000", "pass word 1");
    answers = [{ status: 200, body: { access_token: access({ ...RESIDENT, exp: 3e9 }), refresh_token: "r2", expires_in: 900 } }];
    expect(await identity.token()).toBe(access({ ...RESIDENT, exp: 3e9 }));
    answers = [{ status: 200, body: { access_token: access(RESIDENT), refresh_token: "r3", expires_in: 30 } }];
    await identity.renew();
    expect(calls.filter((c) => c.path === "refresh").map((c) => c.body.refresh_token)).toEqual(["r1", "r2"]);
  });

  it("a refused refresh signs the app out", async () => {
    const identity = await fresh();
    answers = [{ status: 200, body: { access_token: access(RESIDENT), refresh_token: "r1", expires_in: 30 } }];
    await identity.signIn("13800138000", "pass word 1");
    answers = [{ status: 401, body: { error: { code: "unauthorized" } } }];
    await expect(identity.token()).rejects.toMatchObject({ code: "sessionExpired" });
    expect(identity.claims.value).toBeNull();
  });

  it("sign out everywhere calls the identity service with the access token", async () => {
    const identity = await fresh();
    answers = [{ status: 200, body: { access_token: access(RESIDENT), refresh_token: "r1", expires_in: 900 } }];
    await identity.signIn("13800138000", "pass word 1");
    answers = [{ status: 204, body: {} }];
    await identity.signOutEverywhere();
    expect(calls.at(-1)!.path).toBe("sign-out-everywhere");
    expect(identity.claims.value).toBeNull();
  });

  it("user names (staff, older accounts) are not phone numbers", async () => {
    const identity = await fresh();
    expect(identity.isPhone("greenfield-technician")).toBe(false);
    expect(identity.isPhone("+86 138-0013-8000")).toBe(true);
  });
});
