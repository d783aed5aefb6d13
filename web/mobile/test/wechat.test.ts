/** 微信一键登录 in identity.ts: the authorize URL WeChat's web OAuth expects, the state checked on the way back
 * (another tab's or a forged redirect spends no code), a linked WeChat signs in, a first one keeps the ticket
 * for the phone's proof, and WeChat's refusals become plain errors the page shows. */
import { beforeEach, describe, expect, it, vi } from "vitest";

function storage(): Storage {
  const store = new Map<string, string>();
  return {
    getItem: (k: string) => store.get(k) ?? null,
    setItem: (k: string, v: string) => void store.set(k, v),
    removeItem: (k: string) => void store.delete(k),
    clear: () => store.clear(),
    key: () => null,
    length: 0,
  } as Storage;
}
vi.stubGlobal("localStorage", storage());
vi.stubGlobal("sessionStorage", storage());
vi.stubGlobal("location", { origin: "https://courtyard.example" });

const b64url = (value: unknown): string =>
  btoa(JSON.stringify(value)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
const access = (claims: object): string => `${b64url({ alg: "ES256" })}.${b64url(claims)}.sig`;
const RESIDENT = { sub: "acct-1", "cognito:username": "cy_acct-1", "custom:tenant_id": "t1", "cognito:groups": ["resident"], exp: 2e9 };
const TOKENS = { access_token: access(RESIDENT), refresh_token: "r1", expires_in: 900 };

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

const config = {
  apiBase: "/api",
  region: "r",
  userPoolId: "p",
  userPoolClientId: "c",
  cognitoEndpoint: "/_c",
  stage: "dev",
  timeZone: "Asia/Shanghai",
  wechatAuthorizeUrl: "https://open.weixin.qq.com/connect/oauth2/authorize",
  wechatAppId: "wx5f2a9c0d1e3b4a67",
};

async function fresh(withWeChat = true) {
  vi.resetModules();
  const identity = await import("../src/identity");
  identity.startIdentity(withWeChat ? config : { ...config, wechatAppId: undefined });
  return identity;
}

function stateOf(url: string): string {
  return new URL(url.replace("#wechat_redirect", "")).searchParams.get("state") ?? "";
}

beforeEach(() => {
  localStorage.clear();
  sessionStorage.clear();
  calls.length = 0;
  answers = [];
});

describe("微信一键登录", () => {
  it("redirects to WeChat's OAuth page with the app, the callback, snsapi_base and a fresh state", async () => {
    const identity = await fresh();
    expect(identity.wechatAvailable()).toBe(true);
    const url = identity.wechatAuthorizeUrl("/bills");
    expect(url.endsWith("#wechat_redirect")).toBe(true);
    const query = new URL(url.replace("#wechat_redirect", "")).searchParams;
    expect(url.startsWith("https://open.weixin.qq.com/connect/oauth2/authorize?")).toBe(true);
    expect(query.get("appid")).toBe("wx5f2a9c0d1e3b4a67");
    expect(query.get("redirect_uri")).toBe("https://courtyard.example/m/wechat/callback");
    expect(query.get("response_type")).toBe("code");
    expect(query.get("scope")).toBe("snsapi_base");
    expect(query.get("state")).toMatch(/^[0-9a-f]{32}$/);
    expect(stateOf(identity.wechatAuthorizeUrl("/"))).not.toBe(query.get("state"));
  });

  it("offers no WeChat without an app id", async () => {
    expect((await fresh(false)).wechatAvailable()).toBe(false);
  });

  it("a linked WeChat signs in and goes where the resident was headed; the state works once", async () => {
    const identity = await fresh();
    const state = stateOf(identity.wechatAuthorizeUrl("/bills"));
    answers = [{ status: 200, body: TOKENS }];
    await expect(identity.finishWeChatSignIn("0code", state)).resolves.toEqual({ next: "/bills", phone: false });
    expect(calls).toEqual([{ path: "wechat/sign-in", body: { code: "0code" } }]);
    expect(identity.claims.value).toMatchObject({ sub: "acct-1", roles: ["resident"] });
    await expect(identity.finishWeChatSignIn("0code", state)).rejects.toMatchObject({ code: "state" });
    expect(calls).toHaveLength(1);
  });

  it("a state this tab did not send is refused before WeChat's code is spent", async () => {
    const identity = await fresh();
    identity.wechatAuthorizeUrl("/");
    await expect(identity.finishWeChatSignIn("0code", "f".repeat(32))).rejects.toMatchObject({ code: "state" });
    expect(calls).toEqual([]);
  });

  it("a first sign-in proves the phone with the ticket, then signs in", async () => {
    const identity = await fresh();
    const state = stateOf(identity.wechatAuthorizeUrl("/"));
    answers = [{ status: 200, body: { challenge: "phone", wechat_ticket: "T".repeat(43) } }];
    await expect(identity.finishWeChatSignIn("0code", state)).resolves.toEqual({ next: "/", phone: true });
    expect(identity.claims.value).toBeNull();
    answers = [{ status: 202, body: { challenge: "sms_code" } }];
    await identity.sendWeChatPhoneCode("138 0013 8000");
    answers = [
      { status: 401, body: { error: { code: "unauthorized", message: "the code is wrong or has expired" } } },
      { status: 200, body: TOKENS },
    ];
    await expect(identity.confirmWeChatPhone("13800138000", "000000")).rejects.toMatchObject({ code: "wrongCode" });
    await expect(identity.confirmWeChatPhone("13800138000", "123456")).resolves.toBe("/");
    expect(calls.map((c) => c.path)).toEqual(["wechat/sign-in", "wechat/phone", "wechat/phone/confirm", "wechat/phone/confirm"]);
    expect(calls[1]!.body).toEqual({ wechat_ticket: "T".repeat(43), phone: "13800138000" });
    expect(calls[3]!.body).toMatchObject({ wechat_ticket: "T".repeat(43), phone: "13800138000", code: "123456" });
    expect(identity.claims.value).toMatchObject({ sub: "acct-1" });
  });

  it("names a bad or used WeChat code and an expired ticket so the page can say what to do", async () => {
    const identity = await fresh();
    answers = [{ status: 401, body: { error: { code: "wechat_code_refused", message: "…" } } }];
    await expect(identity.finishWeChatSignIn("0used", stateOf(identity.wechatAuthorizeUrl("/")))).rejects.toMatchObject({
      code: "codeRefused",
    });
    answers = [{ status: 200, body: { challenge: "phone", wechat_ticket: "T".repeat(43) } }];
    await identity.finishWeChatSignIn("0code", stateOf(identity.wechatAuthorizeUrl("/")));
    answers = [{ status: 401, body: { error: { code: "wechat_ticket_refused", message: "…" } } }];
    await expect(identity.sendWeChatPhoneCode("13800138000")).rejects.toMatchObject({ code: "expired" });
  });
});
