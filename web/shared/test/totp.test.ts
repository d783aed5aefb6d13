/** TOTP at sign-in against a stubbed Cognito (the same JSON API moto answers in the browser story): the code
 * step, enrolment from Cognito's MFA_SETUP challenge, enrolment of a role that needs TOTP in a pool where it is
 * optional (the tokens are not kept until the code is given), and a wrong code named as such. */
import { describe, expect, it } from "vitest";

import { CognitoAuth, groupedSecret, otpauthUri } from "../src/auth/index";

function token(claims: Record<string, unknown>): string {
  const body = btoa(JSON.stringify(claims)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  return `e30.${body}.sig`;
}

class MemoryStorage {
  items = new Map<string, string>();
  getItem(key: string) {
    return this.items.get(key) ?? null;
  }
  setItem(key: string, value: string) {
    this.items.set(key, value);
  }
  removeItem(key: string) {
    this.items.delete(key);
  }
}

type Call = { target: string; body: Record<string, unknown> };

function fakeCognito(answers: Array<{ status?: number; body: unknown; type?: string }>) {
  const calls: Call[] = [];
  const fetcher = (async (_url: string, init: RequestInit) => {
    const headers = init.headers as Record<string, string>;
    calls.push({ target: headers["X-Amz-Target"]!.split(".")[1]!, body: JSON.parse(String(init.body)) });
    const answer = answers.shift()!;
    return new Response(JSON.stringify(answer.body), {
      status: answer.status ?? 200,
      headers: answer.type ? { "x-amzn-errortype": answer.type } : {},
    });
  }) as unknown as typeof fetch;
  return { calls, fetcher };
}

const NOW = 1_800_000_000_000;
const EXP = NOW / 1000 + 3600;
const manager = (extra: object = {}) =>
  token({ sub: "u1", "cognito:username": "mgr", "custom:tenant_id": "T1", "cognito:groups": ["manager"], exp: EXP, ...extra });
const tokens = (idToken: string) => ({ AuthenticationResult: { IdToken: idToken, AccessToken: "access-1", RefreshToken: "r" } });
const needsMfa = (claims: { roles: string[] }) => claims.roles.includes("manager");

function auth(answers: Parameters<typeof fakeCognito>[0], options: { mfaRequired?: typeof needsMfa } = {}) {
  const { calls, fetcher } = fakeCognito(answers);
  const storage = new MemoryStorage();
  return { calls, storage, auth: new CognitoAuth({ endpoint: "/x", clientId: "c", fetcher, storage, now: () => NOW, ...options }) };
}

describe("TOTP sign-in", () => {
  it("asks for the authenticator's code and answers SOFTWARE_TOKEN_MFA with it", async () => {
    const { calls, auth: cognito } = auth([
      { body: { ChallengeName: "SOFTWARE_TOKEN_MFA", Session: "s1" } },
      { body: tokens(manager({ mfa: "totp" })) },
    ]);
    expect(await cognito.signIn("mgr", "pw")).toEqual({ kind: "totpRequired", username: "mgr", session: "s1" });
    expect(cognito.claims).toBeNull();
    const done = await cognito.answerTotp("mgr", "s1", "123456");
    expect(done).toMatchObject({ kind: "signedIn", claims: { mfa: "totp", roles: ["manager"] } });
    expect(calls[1]).toEqual({
      target: "RespondToAuthChallenge",
      body: {
        ChallengeName: "SOFTWARE_TOKEN_MFA",
        ClientId: "c",
        Session: "s1",
        ChallengeResponses: { USERNAME: "mgr", SOFTWARE_TOKEN_MFA_CODE: "123456" },
      },
    });
    expect(cognito.claims?.mfa).toBe("totp");
  });

  it("names a wrong code (CodeMismatchException) so the page can put it under the field", async () => {
    const { auth: cognito } = auth([{ status: 400, body: { message: "Invalid code" }, type: "CodeMismatchException" }]);
    await expect(cognito.answerTotp("mgr", "s1", "000000")).rejects.toMatchObject({ code: "wrongCode" });
    expect(cognito.claims).toBeNull();
  });

  it("enrols under Cognito's MFA_SETUP challenge: associate, verify, then answer the challenge", async () => {
    const { calls, auth: cognito } = auth([
      { body: { ChallengeName: "MFA_SETUP", Session: "s1" } },
      { body: { SecretCode: "JBSWY3DPEHPK3PXP", Session: "s2" } },
      { body: { Status: "SUCCESS", Session: "s3" } },
      { body: tokens(manager({ mfa: "totp" })) },
    ]);
    const first = await cognito.signIn("mgr", "pw");
    expect(first).toEqual({ kind: "totpSetupRequired", username: "mgr", enrolment: { session: "s1" } });
    if (first.kind !== "totpSetupRequired") throw new Error("unreachable");
    const started = await cognito.startTotpSetup(first.enrolment);
    expect(started).toEqual({ secret: "JBSWY3DPEHPK3PXP", enrolment: { session: "s2" } });
    expect(await cognito.finishTotpSetup("mgr", started.enrolment, "654321")).toMatchObject({ kind: "signedIn" });
    expect(calls.map((c) => c.target)).toEqual(["InitiateAuth", "AssociateSoftwareToken", "VerifySoftwareToken", "RespondToAuthChallenge"]);
    expect(calls[2]!.body).toMatchObject({ Session: "s2", UserCode: "654321" });
    expect(calls[3]!.body).toMatchObject({ ChallengeName: "MFA_SETUP", Session: "s3", ChallengeResponses: { USERNAME: "mgr" } });
  });

  it("does not keep a manager's tokens without TOTP: it enrols with the access token and turns TOTP on", async () => {
    const { calls, storage, auth: cognito } = auth(
      [
        { body: tokens(manager()) },
        { body: { SecretCode: "JBSWY3DPEHPK3PXP" } },
        { status: 400, body: { message: "Code mismatch" }, type: "EnableSoftwareTokenMFAException" },
        { body: { Status: "SUCCESS" } },
        { body: {} },
        { body: { ChallengeName: "SOFTWARE_TOKEN_MFA", Session: "s9" } },
      ],
      { mfaRequired: needsMfa },
    );
    const first = await cognito.signIn("mgr", "pw");
    expect(first).toEqual({ kind: "totpSetupRequired", username: "mgr", enrolment: { accessToken: "access-1" } });
    expect(cognito.claims).toBeNull();
    expect(storage.items.size).toBe(0);
    if (first.kind !== "totpSetupRequired") throw new Error("unreachable");
    const { secret, enrolment } = await cognito.startTotpSetup(first.enrolment);
    expect(calls[1]!.body).toEqual({ AccessToken: "access-1" });
    await expect(cognito.finishTotpSetup("mgr", enrolment, "000000")).rejects.toMatchObject({ code: "wrongCode" });
    expect(await cognito.finishTotpSetup("mgr", enrolment, "123456")).toEqual({ kind: "enrolled" });
    expect(calls[4]).toEqual({
      target: "SetUserMFAPreference",
      body: { AccessToken: "access-1", SoftwareTokenMfaSettings: { Enabled: true, PreferredMfa: true } },
    });
    // Signing in again now asks for the code.
    expect(await cognito.signIn("mgr", "pw")).toMatchObject({ kind: "totpRequired", session: "s9" });
    expect(otpauthUri(secret, "mgr")).toBe(
      "otpauth://totp/Courtyard:mgr?secret=JBSWY3DPEHPK3PXP&issuer=Courtyard&algorithm=SHA1&digits=6&period=30",
    );
    expect(groupedSecret(secret)).toBe("JBSW Y3DP EHPK 3PXP");
  });

  it("keeps the tokens of a role that needs no second factor, and of a manager whose token has it", async () => {
    const technician = token({ sub: "u2", "cognito:groups": ["technician"], exp: EXP });
    const { auth: cognito } = auth([{ body: tokens(technician) }, { body: tokens(manager({ mfa: "totp" })) }], {
      mfaRequired: needsMfa,
    });
    expect(await cognito.signIn("tech", "pw")).toMatchObject({ kind: "signedIn" });
    expect(await cognito.signIn("mgr", "pw")).toMatchObject({ kind: "signedIn", claims: { mfa: "totp" } });
  });
});
