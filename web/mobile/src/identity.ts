/** Who the person is: the ONE module of the app that knows how people sign in, sign up and out.
 *
 * Residents sign in with their phone number through Courtyard's own identity service (/identity/*: password,
 * a texted code only on a new phone or a reset, 15-minute access tokens, rotating refresh tokens). Staff on
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
    if (response.ok) return answer;
    if (response.status === 401) throw new AuthError("wrongPassword", "wrong phone number, password or code");
    if (response.status === 409) throw new AuthError("userExists", "this phone number already has an account");
    if (response.status === 429) throw new AuthError("tooManyAttempts", "too many tries");
    if (response.status === 422) throw new AuthError("passwordPolicy", "check the phone number and password");
    throw new AuthError("unknown", `identity answered ${response.status}`);
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

export function startIdentity(config: RuntimeConfig): void {
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
