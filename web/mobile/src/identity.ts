/** Who the person is: the ONE module of the app that knows how people sign in, sign up and out.
 *
 * Residents sign in with WeChat by default (「微信一键登录」: WeChat's web OAuth, then /identity/wechat/*; a
 * WeChat linked to no account proves the phone once with a texted code), or with their phone number through
 * Courtyard's own identity service (/identity/*: password, a texted code only on a new phone or a reset).
 * Both end in the same 15-minute access tokens and rotating refresh tokens. Staff on
 * the app (technicians, guards) and accounts named by a user name keep Cognito through web/shared's auth
 * module. Pages use these functions and `identity.claims`, never either client itself. */
import { AuthError, CognitoAuth, type Claims, type RuntimeConfig, type SignInResult } from "@courtyard/shared";
import { shallowRef, type ShallowRef } from "vue";

let auth: CognitoAuth | null = null;
let courtyard: CourtyardIdentity | null = null;

/** The signed-in account's claims (null: nobody), reactive for the router and the pages. */
export const claims: ShallowRef<Claims | null> = shallowRef(null);

/** A phone number signs in through Courtyard identity; anything else is a Cognito user name. */
export const isPhone = (name: string): boolean => /^\+?[0-9]{11,15}$/.test(name.replace(/[\s-]/g, ""));
const phoneOf = (name: string): string => name.replace(/[\s-]/g, "");

interface Session {
  access: string;
  refresh: string;
  expiresAt: number;
}

const SESSION_KEY = "courtyard.identity.session";
const DEVICE_KEY = "courtyard.identity.device";
/** The WeChat redirect's state (CSRF) and where to go after, for this tab only: set before leaving for
 * WeChat's page, read once when WeChat sends the browser back. */
const WECHAT_STATE_KEY = "courtyard.wechat.pending";
/** The ticket of a first WeChat sign-in, between the phone and the code steps (this tab only). */
const WECHAT_TICKET_KEY = "courtyard.wechat.ticket";

/** Why a WeChat sign-in step failed, in words the page translates (wechat.errors.<code>). */
export type WeChatErrorCode = "state" | "codeRefused" | "expired" | "wrongCode" | "tooMany" | "taken" | "network" | "unknown";
export class WeChatError extends Error {
  constructor(readonly code: WeChatErrorCode) {
    super(`WeChat sign-in: ${code}`);
    this.name = "WeChatError";
  }
}

function decode(token: string): Claims {
  const body = JSON.parse(atob(token.split(".")[1]!.replace(/-/g, "+").replace(/_/g, "/"))) as Record<string, unknown>;
  const groups = body["cognito:groups"];
  const tenantId = body["custom:tenant_id"];
  return {
    sub: String(body.sub),
    username: String(body["cognito:username"] ?? body.sub),
    tenantId: typeof tenantId === "string" ? tenantId : undefined,
    roles: Array.isArray(groups) ? groups.map(String) : [],
    exp: Number(body.exp),
  };
}

/** Residents' sessions with Courtyard identity: tokens in localStorage, refreshed (and rotated) when due. */
class CourtyardIdentity {
  private session: Session | null = null;
  private refreshing: Promise<Session | null> | null = null;

  constructor(
    private readonly apiBase: string,
    private readonly onChange: (claims: Claims | null) => void,
  ) {
    const saved = localStorage.getItem(SESSION_KEY);
    this.session = saved ? (JSON.parse(saved) as Session) : null;
  }

  get claims(): Claims | null {
    return this.session ? decode(this.session.access) : null;
  }

  private device(): string {
    let id = localStorage.getItem(DEVICE_KEY);
    if (!id) {
      id = Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
      localStorage.setItem(DEVICE_KEY, id);
    }
    return id;
  }

  private async post(path: string, body: unknown, bearer?: string): Promise<Record<string, unknown>> {
    const { response, answer } = await this.send(path, body, bearer);
    if (response.ok) return answer;
    if (response.status === 401) throw new AuthError("wrongPassword", "wrong phone number, password or code");
    if (response.status === 409) throw new AuthError("userExists", "this phone number already has an account");
    if (response.status === 429) throw new AuthError("tooManyAttempts", "too many tries");
    if (response.status === 422) throw new AuthError("passwordPolicy", "check the phone number and password");
    throw new AuthError("unknown", `identity answered ${response.status}`);
  }

  private async send(path: string, body: unknown, bearer?: string): Promise<{ response: Response; answer: Record<string, unknown> }> {
    let response: Response;
    try {
      response = await fetch(`${this.apiBase}/identity/${path}`, {
        method: "POST",
        headers: { "Content-Type": "application/json", ...(bearer ? { Authorization: `Bearer ${bearer}` } : {}) },
        body: JSON.stringify(body),
      });
    } catch {
      throw new AuthError("network", "the network is unavailable");
    }
    const answer = (await response.json().catch(() => ({}))) as Record<string, unknown>;
    return { response, answer };
  }

  /** A WeChat step: the answer, or a WeChatError naming what the resident can do about it. */
  private async wechatPost(path: string, body: unknown): Promise<Record<string, unknown>> {
    let sent: { response: Response; answer: Record<string, unknown> };
    try {
      sent = await this.send(`wechat/${path}`, body);
    } catch {
      throw new WeChatError("network");
    }
    const { response, answer } = sent;
    if (response.ok) return answer;
    const error = (answer.error ?? {}) as { code?: string };
    if (error.code === "wechat_code_refused") throw new WeChatError("codeRefused");
    if (error.code === "wechat_ticket_refused") throw new WeChatError("expired");
    if (response.status === 401) throw new WeChatError("wrongCode");
    if (response.status === 409) throw new WeChatError("taken");
    if (response.status === 429) throw new WeChatError("tooMany");
    throw new WeChatError("unknown");
  }

  /** WeChat's code: signed in (a linked WeChat), or the ticket of a first sign-in (the phone comes next). */
  async wechatSignIn(code: string): Promise<{ ticket: string } | null> {
    const answer = await this.wechatPost("sign-in", { code });
    if (answer.challenge === "phone" && typeof answer.wechat_ticket === "string") return { ticket: answer.wechat_ticket };
    this.keep(answer);
    return null;
  }

  async wechatPhone(ticket: string, phone: string): Promise<void> {
    await this.wechatPost("phone", { wechat_ticket: ticket, phone });
  }

  async wechatConfirm(ticket: string, phone: string, code: string): Promise<void> {
    this.keep(await this.wechatPost("phone/confirm", { wechat_ticket: ticket, phone, code, device_id: this.device() }));
  }

  private keep(answer: Record<string, unknown>): SignInResult {
    if (answer.challenge === "sms_code" || typeof answer.access_token !== "string") {
      // A new phone: the texted code confirms it (the page's code step).
      throw new AuthError("notConfirmed", "enter the code texted to your phone");
    }
    this.session = {
      access: answer.access_token,
      refresh: String(answer.refresh_token),
      expiresAt: Date.now() + Number(answer.expires_in) * 1000,
    };
    localStorage.setItem(SESSION_KEY, JSON.stringify(this.session));
    const signedIn = decode(this.session.access);
    this.onChange(signedIn);
    return { kind: "signedIn", claims: signedIn };
  }

  async signIn(phone: string, password: string): Promise<SignInResult> {
    return this.keep(await this.post("sign-in", { phone, password, device_id: this.device() }));
  }

  async signUp(phone: string, password: string): Promise<{ confirmed: boolean }> {
    await this.post("sign-up", { phone, password, device_id: this.device() });
    return { confirmed: false };
  }

  async confirm(phone: string, code: string): Promise<void> {
    try {
      this.keep(await this.post("confirm", { phone, code, device_id: this.device() }));
    } catch (e) {
      // Refused here means the texted code: wrong, expired, or meant for another phone.
      if (e instanceof AuthError && e.code === "wrongPassword") throw new AuthError("wrongCode", "the code is wrong or has expired");
      throw e;
    }
  }

  /** Spend the refresh token for new ones; a refused one (ended, or reused elsewhere) signs out here. */
  async refresh(): Promise<Session | null> {
    const current = this.session;
    if (!current) return null;
    this.refreshing ??= (async () => {
      try {
        this.keep(await this.post("refresh", { refresh_token: current.refresh }));
        return this.session;
      } catch (e) {
        if (e instanceof AuthError && e.code !== "network") this.clear();
        throw e instanceof AuthError && e.code !== "network" ? new AuthError("sessionExpired", "sign in again") : e;
      } finally {
        this.refreshing = null;
      }
    })();
    return this.refreshing;
  }

  async token(): Promise<string | null> {
    if (!this.session) return null;
    if (this.session.expiresAt - Date.now() > 60_000) return this.session.access;
    return (await this.refresh())?.access ?? null;
  }

  async signOutEverywhere(): Promise<void> {
    const bearer = await this.token();
    if (bearer) await this.post("sign-out-everywhere", {}, bearer).catch(() => ({}));
    this.clear();
  }

  clear(): void {
    this.session = null;
    localStorage.removeItem(SESSION_KEY);
    this.onChange(null);
  }
}

let wechatApp: { authorizeUrl: string; appId: string } | null = null;

export function startIdentity(config: RuntimeConfig): void {
  wechatApp = config.wechatAppId ? { authorizeUrl: config.wechatAuthorizeUrl ?? "", appId: config.wechatAppId } : null;
  auth = new CognitoAuth({ endpoint: config.cognitoEndpoint, clientId: config.userPoolClientId });
  courtyard = new CourtyardIdentity(config.apiBase, (next) => (claims.value = next));
  auth.resume();
  claims.value = courtyard.claims ?? auth.claims;
  auth.onChange((next) => (claims.value = next ?? courtyard?.claims ?? null));
}

function client(): CognitoAuth {
  if (!auth) throw new Error("startIdentity() has not run");
  return auth;
}

function resident(): CourtyardIdentity {
  if (!courtyard) throw new Error("startIdentity() has not run");
  return courtyard;
}

export { AuthError };
export type { SignInResult };

export const signIn = (username: string, password: string): Promise<SignInResult> =>
  isPhone(username) ? resident().signIn(phoneOf(username), password) : client().signIn(username, password);
export const completeNewPassword = (username: string, session: string, password: string): Promise<SignInResult> =>
  client().completeNewPassword(username, session, password);
export const signUp = (username: string, password: string, email: string, name?: string) =>
  isPhone(username) ? resident().signUp(phoneOf(username), password) : client().signUp(username, password, email, name);
/** The code Cognito mailed (user names), or the code texted to a phone number (a new account or phone). */
export const confirmSignUp = (username: string, code: string): Promise<void> =>
  isPhone(username) ? resident().confirm(phoneOf(username), code) : client().confirmSignUp(username, code);
export async function signOut(): Promise<void> {
  if (courtyard?.claims) return courtyard.clear();
  return client().signOut();
}
/** Ends the resident's sessions on every phone (a lost phone); Cognito users sign out here only. */
export async function signOutEverywhere(): Promise<void> {
  if (courtyard?.claims) return resident().signOutEverywhere();
  return client().signOut();
}
/** The bearer token of the next API call (refreshed when due); null when signed out. */
export const token = (): Promise<string | null> => (courtyard?.claims ? resident().token() : client().idToken());
/** A new token now: accepting an invitation gives the account its firm and role in the next token. A
 * Courtyard account is bound to the firm when identity consumes the acceptance's event, a moment after the
 * answer: given the firm, this renews (backing off, about 20 s at most) until the token carries it. */
export async function renew(tenantId?: string, pause = (ms: number) => new Promise((r) => setTimeout(r, ms))): Promise<void> {
  if (courtyard?.claims) {
    for (let attempt = 1; ; attempt++) {
      await resident().refresh();
      if (!tenantId || resident().claims?.tenantId === tenantId || attempt >= 8) return;
      await pause(500 * attempt);
    }
  }
  await client().refresh();
}

/** A key that names the account on this phone (for settings remembered per account). */
export function accountKey(): string | null {
  return claims.value?.sub || null;
}

export function isResident(): boolean {
  return claims.value?.roles.includes("resident") ?? false;
}

// ---------------------------------------------------------------- 微信一键登录 (WeChat's web OAuth)

/** The stage has a WeChat app: the sign-in page leads with 「微信一键登录」. */
export const wechatAvailable = (): boolean => wechatApp !== null && wechatApp.authorizeUrl !== "";

function randomState(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Where WeChat sends the browser back (the app's callback route, on this origin). */
export const wechatCallbackUrl = (origin: string = location.origin): string => `${origin}/m/wechat/callback`;

/** The authorize URL for a fresh state (kept in this tab with `next`): WeChat's page names the user and
 * sends the browser back to the callback with a one-time code and the same state. `snsapi_base`: only the
 * openid is needed, so WeChat asks the user nothing inside its browser. */
export function wechatAuthorizeUrl(next: string, origin?: string): string {
  if (!wechatApp) throw new Error("no WeChat app on this stage");
  const state = randomState();
  sessionStorage.setItem(WECHAT_STATE_KEY, JSON.stringify({ state, next }));
  const query = new URLSearchParams({
    appid: wechatApp.appId,
    redirect_uri: wechatCallbackUrl(origin),
    response_type: "code",
    scope: "snsapi_base",
    state,
  });
  return `${wechatApp.authorizeUrl}?${query.toString()}#wechat_redirect`;
}

/** The callback: the state must be the one this tab sent (else someone else's redirect: refused, and the
 * code is never spent); then WeChat's code signs in, or starts a first sign-in (`phone`). The state is
 * single use. */
export async function finishWeChatSignIn(code: string, state: string): Promise<{ next: string; phone: boolean }> {
  const saved = sessionStorage.getItem(WECHAT_STATE_KEY);
  sessionStorage.removeItem(WECHAT_STATE_KEY);
  const pending = saved ? (JSON.parse(saved) as { state: string; next: string }) : null;
  if (!pending || !code || pending.state !== state) throw new WeChatError("state");
  const next = pending.next.startsWith("/") ? pending.next : "/";
  const first = await resident().wechatSignIn(code);
  if (first) sessionStorage.setItem(WECHAT_TICKET_KEY, JSON.stringify({ ticket: first.ticket, next }));
  return { next, phone: first !== null };
}

function ticket(): { ticket: string; next: string } {
  const saved = sessionStorage.getItem(WECHAT_TICKET_KEY);
  if (!saved) throw new WeChatError("expired");
  return JSON.parse(saved) as { ticket: string; next: string };
}

/** A first WeChat sign-in: text a code to the resident's phone. */
export const sendWeChatPhoneCode = (phone: string): Promise<void> => resident().wechatPhone(ticket().ticket, phoneOf(phone));

/** The texted code: the phone's account is linked to this WeChat and signed in; where to go next. */
export async function confirmWeChatPhone(phone: string, code: string): Promise<string> {
  const pending = ticket();
  await resident().wechatConfirm(pending.ticket, phoneOf(phone), code);
  sessionStorage.removeItem(WECHAT_TICKET_KEY);
  return pending.next;
}
