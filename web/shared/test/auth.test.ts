import { describe, expect, it } from "vitest";

import { AuthError, CognitoAuth } from "../src/auth/index";

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
const idToken = (exp: number) =>
  token({ sub: "u1", "cognito:username": "mgr", "custom:tenant_id": "T1", "cognito:groups": ["manager"], exp });

describe("CognitoAuth", () => {
  it("signs in with USER_PASSWORD_AUTH and keeps the claims of the ID token", async () => {
    const { calls, fetcher } = fakeCognito([
      { body: { AuthenticationResult: { IdToken: idToken(NOW / 1000 + 3600), AccessToken: "a", RefreshToken: "r" } } },
    ]);
    const auth = new CognitoAuth({ endpoint: "/_cognito/", clientId: "c", fetcher, storage: new MemoryStorage(), now: () => NOW });
    const result = await auth.signIn("mgr", "pw");
    expect(result.kind).toBe("signedIn");
    expect(calls[0]!.body).toMatchObject({ AuthFlow: "USER_PASSWORD_AUTH", ClientId: "c" });
    expect(auth.claims).toMatchObject({ tenantId: "T1", roles: ["manager"], username: "mgr" });
  });

  it("answers the forced new-password challenge with RespondToAuthChallenge", async () => {
    const { calls, fetcher } = fakeCognito([
      { body: { ChallengeName: "NEW_PASSWORD_REQUIRED", Session: "s1" } },
      { body: { AuthenticationResult: { IdToken: idToken(NOW / 1000 + 3600), AccessToken: "a", RefreshToken: "r" } } },
    ]);
    const auth = new CognitoAuth({ endpoint: "/x", clientId: "c", fetcher, storage: new MemoryStorage(), now: () => NOW });
    const first = await auth.signIn("new", "Temp-pass-1");
    expect(first).toEqual({ kind: "newPasswordRequired", username: "new", session: "s1" });
    expect(auth.claims).toBeNull();
    await auth.completeNewPassword("new", "s1", "brand-new-pass-2");
    expect(calls[1]).toMatchObject({
      target: "RespondToAuthChallenge",
      body: { Session: "s1", ChallengeResponses: { USERNAME: "new", NEW_PASSWORD: "brand-new-pass-2" } },
    });
    expect(auth.claims?.tenantId).toBe("T1");
  });

  it("names a wrong password and a missing user so the form can say which", async () => {
    const { fetcher } = fakeCognito([
      { status: 400, body: { __type: "NotAuthorizedException", message: "Incorrect" } },
      { status: 400, body: { message: "x" }, type: "UserNotFoundException:http://internal" },
    ]);
    const auth = new CognitoAuth({ endpoint: "/x", clientId: "c", fetcher, storage: new MemoryStorage() });
    await expect(auth.signIn("a", "b")).rejects.toMatchObject({ code: "wrongPassword" });
    await expect(auth.signIn("a", "b")).rejects.toMatchObject({ code: "userNotFound" });
  });

  it("signs a resident up, confirms the mailed code, and names a taken user name", async () => {
    const { calls, fetcher } = fakeCognito([
      { body: { UserConfirmed: false, UserSub: "u2" } },
      { body: {} },
      { status: 400, body: { message: "User already exists" }, type: "UsernameExistsException" },
    ]);
    const auth = new CognitoAuth({ endpoint: "/x", clientId: "c", fetcher, storage: new MemoryStorage(), now: () => NOW });
    expect(await auth.signUp("wu", "Newcomer-2026", "wu@example.com", "吴小姐")).toEqual({ confirmed: false });
    await auth.confirmSignUp("wu", "123456");
    expect(calls.map((c) => c.target)).toEqual(["SignUp", "ConfirmSignUp"]);
    expect(calls[0]!.body).toMatchObject({
      ClientId: "c",
      Username: "wu",
      UserAttributes: [{ Name: "email", Value: "wu@example.com" }, { Name: "name", Value: "吴小姐" }],
    });
    expect(calls[1]!.body).toMatchObject({ Username: "wu", ConfirmationCode: "123456" });
    await expect(auth.signUp("wu", "Newcomer-2026", "wu@example.com")).rejects.toMatchObject({ code: "userExists" });
  });

  it("reports an unreachable Cognito as a network error", async () => {
    const fetcher = (async () => {
      throw new TypeError("Failed to fetch");
    }) as unknown as typeof fetch;
    const auth = new CognitoAuth({ endpoint: "/x", clientId: "c", fetcher, storage: new MemoryStorage() });
    const error = await auth.signIn("a", "b").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthError);
    expect((error as AuthError).code).toBe("network");
  });

  it("refreshes with REFRESH_TOKEN_AUTH when the ID token is about to expire, keeping the refresh token", async () => {
    let now = NOW;
    const { calls, fetcher } = fakeCognito([
      { body: { AuthenticationResult: { IdToken: idToken(NOW / 1000 + 3600), AccessToken: "a", RefreshToken: "r" } } },
      { body: { AuthenticationResult: { IdToken: idToken(NOW / 1000 + 7200), AccessToken: "a2" } } },
    ]);
    const storage = new MemoryStorage();
    const auth = new CognitoAuth({ endpoint: "/x", clientId: "c", fetcher, storage, now: () => now });
    await auth.signIn("mgr", "pw");
    const first = await auth.idToken();
    expect(calls).toHaveLength(1);
    now = NOW + 3590_000;
    const second = await auth.idToken();
    expect(second).not.toBe(first);
    expect(calls[1]!.body).toEqual({ AuthFlow: "REFRESH_TOKEN_AUTH", ClientId: "c", AuthParameters: { REFRESH_TOKEN: "r" } });
    expect(JSON.parse(storage.getItem("courtyard.auth")!).refreshToken).toBe("r");
  });

  it("signs out globally, revokes the refresh token and forgets the session even if Cognito fails", async () => {
    const { calls, fetcher } = fakeCognito([
      { body: { AuthenticationResult: { IdToken: idToken(NOW / 1000 + 3600), AccessToken: "a", RefreshToken: "r" } } },
      { status: 500, body: {} },
      { body: {} },
    ]);
    const storage = new MemoryStorage();
    const auth = new CognitoAuth({ endpoint: "/x", clientId: "c", fetcher, storage, now: () => NOW });
    await auth.signIn("mgr", "pw");
    await auth.signOut();
    expect(calls.map((c) => c.target).sort()).toEqual(["GlobalSignOut", "InitiateAuth", "RevokeToken"]);
    expect(auth.claims).toBeNull();
    expect(storage.getItem("courtyard.auth")).toBeNull();
  });
});
