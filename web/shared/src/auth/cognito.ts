/** Sign-in straight against Cognito's JSON API with plain fetch (about 1 kB, no SDK, no hosted UI):
 * USER_PASSWORD_AUTH, the NEW_PASSWORD_REQUIRED challenge, TOTP (the SOFTWARE_TOKEN_MFA code at each sign-in,
 * and enrolment with AssociateSoftwareToken + VerifySoftwareToken, for a role that must have it),
 * REFRESH_TOKEN_AUTH before the ID token expires, and sign-out (GlobalSignOut + RevokeToken, then the local copy is cleared). The apps send the ID token: it
 * carries custom:tenant_id and cognito:groups, which is what the API's authorizer reads.
 *
 * Everything about who signed in lives in this folder, so residents' identity can move to another issuer
 * later without touching a page. */

export interface Tokens {
  idToken: string;
  accessToken: string;
  refreshToken: string;
  /** epoch milliseconds at which the ID token expires */
  expiresAt: number;
}

export interface Claims {
  sub: string;
  username: string;
  email?: string;
  tenantId?: string;
  roles: string[];
  exp: number;
  /** "totp" when this sign-in passed an authenticator code (added by the pool's pre-token trigger) */
  mfa?: string;
}

/** What authorises a TOTP enrolment: the session of Cognito's MFA_SETUP challenge (a pool that requires MFA),
 * or the access token of a sign-in the app did not accept because the role needs TOTP (MFA optional in the
 * pool, required for the role by the API: the ID token lacks `mfa`). */
export type TotpEnrolment = { session: string } | { accessToken: string };

export type SignInResult =
  | { kind: "signedIn"; claims: Claims }
  | { kind: "newPasswordRequired"; username: string; session: string }
  /** the 6-digit code of the authenticator app (SOFTWARE_TOKEN_MFA) */
  | { kind: "totpRequired"; username: string; session: string }
  /** the account must add an authenticator app first (startTotpSetup, then finishTotpSetup) */
  | { kind: "totpSetupRequired"; username: string; enrolment: TotpEnrolment };

/** Why sign-in failed, in words a page can translate (auth.errors.<code>). */
export type AuthErrorCode =
  | "wrongPassword"
  | "userNotFound"
  | "userExists"
  | "notConfirmed"
  | "passwordPolicy"
  | "tooManyAttempts"
  | "sessionExpired"
  | "wrongCode"
  | "network"
  | "unknown";

export class AuthError extends Error {
  constructor(
    readonly code: AuthErrorCode,
    message: string,
    readonly cognitoType?: string,
  ) {
    super(message);
    this.name = "AuthError";
  }
}

export interface AuthOptions {
  endpoint: string;
  clientId: string;
  fetcher?: typeof fetch;
  storage?: Pick<Storage, "getItem" | "setItem" | "removeItem">;
  now?: () => number;
  /** refresh this long before the ID token expires */
  refreshMarginMs?: number;
  /** Whether these claims must carry a second factor (`mfa: "totp"`): such a sign-in without it is not kept,
   * and the answer is the enrolment step instead. */
  mfaRequired?: (claims: Claims) => boolean;
}

const STORAGE_KEY = "courtyard.auth";
const TARGET = "AWSCognitoIdentityProviderService.";

export function decodeClaims(idToken: string): Claims {
  const payload = idToken.split(".")[1] ?? "";
  const json = atob(payload.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(payload.length / 4) * 4, "="));
  const raw = JSON.parse(new TextDecoder().decode(Uint8Array.from(json, (c) => c.charCodeAt(0)))) as Record<string, unknown>;
  return {
    sub: String(raw.sub ?? ""),
    username: String(raw["cognito:username"] ?? raw.username ?? raw.sub ?? ""),
    email: raw.email === undefined ? undefined : String(raw.email),
    tenantId: raw["custom:tenant_id"] === undefined ? undefined : String(raw["custom:tenant_id"]),
    roles: Array.isArray(raw["cognito:groups"]) ? (raw["cognito:groups"] as unknown[]).map(String) : [],
    exp: Number(raw.exp ?? 0),
    mfa: raw.mfa === undefined ? undefined : String(raw.mfa),
  };
}

function errorCode(type: string): AuthErrorCode {
  switch (type) {
    case "NotAuthorizedException":
      return "wrongPassword";
    case "UserNotFoundException":
      return "userNotFound";
    case "UsernameExistsException":
      return "userExists";
    case "UserNotConfirmedException":
      return "notConfirmed";
    case "InvalidPasswordException":
      return "passwordPolicy";
    case "TooManyRequestsException":
    case "LimitExceededException":
      return "tooManyAttempts";
    // A wrong or used code: the mailed one, or an authenticator's (VerifySoftwareToken answers the last).
    case "CodeMismatchException":
    case "ExpiredCodeException":
    case "EnableSoftwareTokenMFAException":
      return "wrongCode";
    default:
      return "unknown";
  }
}

export class CognitoAuth {
  private readonly fetcher: typeof fetch;
  private readonly storage: Pick<Storage, "getItem" | "setItem" | "removeItem"> | undefined;
  private readonly now: () => number;
  private readonly margin: number;
  private tokens: Tokens | null;
  private refreshing: Promise<Tokens | null> | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private listeners = new Set<(claims: Claims | null) => void>();

  constructor(private readonly options: AuthOptions) {
    this.fetcher = options.fetcher ?? ((...args) => fetch(...args));
    this.storage = options.storage ?? (typeof localStorage === "undefined" ? undefined : localStorage);
    this.now = options.now ?? Date.now;
    this.margin = options.refreshMarginMs ?? 5 * 60_000;
    this.tokens = this.load();
  }

  /** The signed-in user's claims, or null. */
  get claims(): Claims | null {
    return this.tokens ? decodeClaims(this.tokens.idToken) : null;
  }

  onChange(listener: (claims: Claims | null) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async signIn(username: string, password: string): Promise<SignInResult> {
    const answer = await this.call("InitiateAuth", {
      AuthFlow: "USER_PASSWORD_AUTH",
      ClientId: this.options.clientId,
      AuthParameters: { USERNAME: username, PASSWORD: password },
    });
    return this.outcome(answer, username);
  }

  /** The forced new-password step of a first sign-in with a temporary password. */
  async completeNewPassword(username: string, session: string, newPassword: string): Promise<SignInResult> {
    const answer = await this.call("RespondToAuthChallenge", {
      ChallengeName: "NEW_PASSWORD_REQUIRED",
      ClientId: this.options.clientId,
      Session: session,
      ChallengeResponses: { USERNAME: username, NEW_PASSWORD: newPassword },
    });
    return this.outcome(answer, username);
  }

  /** The authenticator app's code for the SOFTWARE_TOKEN_MFA challenge. */
  async answerTotp(username: string, session: string, code: string): Promise<SignInResult> {
    const answer = await this.call("RespondToAuthChallenge", {
      ChallengeName: "SOFTWARE_TOKEN_MFA",
      ClientId: this.options.clientId,
      Session: session,
      ChallengeResponses: { USERNAME: username, SOFTWARE_TOKEN_MFA_CODE: code },
    });
    return this.outcome(answer, username);
  }

  /** A new authenticator secret for the account (the page shows it as an otpauth:// QR code). */
  async startTotpSetup(enrolment: TotpEnrolment): Promise<{ secret: string; enrolment: TotpEnrolment }> {
    const answer = await this.call(
      "AssociateSoftwareToken",
      "session" in enrolment ? { Session: enrolment.session } : { AccessToken: enrolment.accessToken },
    );
    const next = "session" in enrolment && answer.Session ? { session: String(answer.Session) } : enrolment;
    return { secret: String(answer.SecretCode ?? ""), enrolment: next };
  }

  /** The first code from the authenticator proves it was added. Under MFA_SETUP that finishes the sign-in;
   * otherwise TOTP becomes the account's preferred factor and the caller signs in again (answer `enrolled`):
   * Cognito asks for the code from then on and the new ID token carries `mfa`. */
  async finishTotpSetup(
    username: string,
    enrolment: TotpEnrolment,
    code: string,
  ): Promise<SignInResult | { kind: "enrolled" }> {
    const proof = { UserCode: code, FriendlyDeviceName: "Courtyard" };
    if ("session" in enrolment) {
      const verified = await this.call("VerifySoftwareToken", { ...proof, Session: enrolment.session });
      const answer = await this.call("RespondToAuthChallenge", {
        ChallengeName: "MFA_SETUP",
        ClientId: this.options.clientId,
        Session: String(verified.Session ?? enrolment.session),
        ChallengeResponses: { USERNAME: username },
      });
      return this.outcome(answer, username);
    }
    await this.call("VerifySoftwareToken", { ...proof, AccessToken: enrolment.accessToken });
    await this.call("SetUserMFAPreference", {
      AccessToken: enrolment.accessToken,
      SoftwareTokenMfaSettings: { Enabled: true, PreferredMfa: true },
    });
    return { kind: "enrolled" };
  }

  /** Self sign-up (residents; staff accounts are made by the firm): Cognito mails a code to confirm the address.
   * Answers whether the account still needs that code. */
  async signUp(username: string, password: string, email: string, name?: string): Promise<{ confirmed: boolean }> {
    const attributes = [{ Name: "email", Value: email }];
    if (name) attributes.push({ Name: "name", Value: name });
    const answer = await this.call("SignUp", {
      ClientId: this.options.clientId,
      Username: username,
      Password: password,
      UserAttributes: attributes,
    });
    return { confirmed: answer.UserConfirmed === true };
  }

  /** The code from the sign-up mail. */
  async confirmSignUp(username: string, code: string): Promise<void> {
    await this.call("ConfirmSignUp", { ClientId: this.options.clientId, Username: username, ConfirmationCode: code });
  }

  /** A valid ID token for the Authorization header, refreshed first when it is about to expire; null when
   * nobody is signed in (or the refresh token is no longer accepted: the user must sign in again). */
  async idToken(): Promise<string | null> {
    if (!this.tokens) return null;
    if (this.tokens.expiresAt - this.now() > 60_000) return this.tokens.idToken;
    const refreshed = await this.refresh();
    return refreshed?.idToken ?? null;
  }

  async refresh(): Promise<Tokens | null> {
    if (!this.tokens) return null;
    // One refresh at a time: parallel API calls share it.
    this.refreshing ??= (async () => {
      const current = this.tokens;
      if (!current) return null;
      try {
        const answer = await this.call("InitiateAuth", {
          AuthFlow: "REFRESH_TOKEN_AUTH",
          ClientId: this.options.clientId,
          AuthParameters: { REFRESH_TOKEN: current.refreshToken },
        });
        const result = answer.AuthenticationResult as Record<string, unknown> | undefined;
        if (!result) throw new AuthError("sessionExpired", "no tokens in the refresh answer");
        // Cognito does not send a new refresh token on refresh: the old one stays valid.
        this.store(this.tokensFrom(result, current.refreshToken));
        return this.tokens;
      } catch (error) {
        if (error instanceof AuthError && error.code === "network") throw error;
        this.clear();
        return null;
      } finally {
        this.refreshing = null;
      }
    })();
    return this.refreshing;
  }

  /** Sign out everywhere: Cognito invalidates the tokens, and the local copy is gone whatever it answers. */
  async signOut(): Promise<void> {
    const current = this.tokens;
    this.clear();
    if (!current) return;
    await Promise.allSettled([
      this.call("GlobalSignOut", { AccessToken: current.accessToken }),
      this.call("RevokeToken", { Token: current.refreshToken, ClientId: this.options.clientId }),
    ]);
  }

  private outcome(answer: Record<string, unknown>, username: string): SignInResult {
    if (answer.ChallengeName === "NEW_PASSWORD_REQUIRED") {
      return { kind: "newPasswordRequired", username, session: String(answer.Session) };
    }
    if (answer.ChallengeName === "SOFTWARE_TOKEN_MFA") {
      return { kind: "totpRequired", username, session: String(answer.Session) };
    }
    if (answer.ChallengeName === "MFA_SETUP") {
      return { kind: "totpSetupRequired", username, enrolment: { session: String(answer.Session) } };
    }
    const result = answer.AuthenticationResult as Record<string, unknown> | undefined;
    if (!result) throw new AuthError("unknown", `unsupported sign-in step ${String(answer.ChallengeName)}`);
    const claims = decodeClaims(String(result.IdToken));
    // A role that must have TOTP signed in without it: the API would refuse every call (403 mfa_required), so
    // these tokens are not kept; they only authorise adding the authenticator.
    if (this.options.mfaRequired?.(claims) && claims.mfa !== "totp") {
      return { kind: "totpSetupRequired", username, enrolment: { accessToken: String(result.AccessToken) } };
    }
    this.store(this.tokensFrom(result));
    return { kind: "signedIn", claims };
  }

  private tokensFrom(result: Record<string, unknown>, refreshToken?: string): Tokens {
    const idToken = String(result.IdToken);
    const claims = decodeClaims(idToken);
    const expiresAt = claims.exp ? claims.exp * 1000 : this.now() + Number(result.ExpiresIn ?? 3600) * 1000;
    return {
      idToken,
      accessToken: String(result.AccessToken),
      refreshToken: String(result.RefreshToken ?? refreshToken ?? ""),
      expiresAt,
    };
  }

  private async call(action: string, body: Record<string, unknown>): Promise<Record<string, unknown>> {
    let response: Response;
    try {
      response = await this.fetcher(this.options.endpoint, {
        method: "POST",
        headers: { "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": TARGET + action },
        body: JSON.stringify(body),
      });
    } catch (error) {
      throw new AuthError("network", String(error));
    }
    const text = await response.text();
    let parsed: Record<string, unknown> = {};
    try {
      parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    } catch {
      if (!response.ok) throw new AuthError(response.status >= 500 ? "network" : "unknown", text.slice(0, 200));
    }
    if (!response.ok) {
      const type = String(response.headers.get("x-amzn-errortype") ?? parsed.__type ?? "").split(":")[0]!.split("#").pop()!;
      if (response.status >= 500 && !type) throw new AuthError("network", `HTTP ${response.status}`);
      throw new AuthError(errorCode(type), String(parsed.message ?? parsed.Message ?? type), type);
    }
    return parsed;
  }

  private store(tokens: Tokens): void {
    this.tokens = tokens;
    this.storage?.setItem(STORAGE_KEY, JSON.stringify(tokens));
    this.schedule();
    this.emit();
  }

  private clear(): void {
    this.tokens = null;
    this.storage?.removeItem(STORAGE_KEY);
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.emit();
  }

  private load(): Tokens | null {
    const raw = this.storage?.getItem(STORAGE_KEY);
    if (!raw) return null;
    try {
      const tokens = JSON.parse(raw) as Tokens;
      if (!tokens.idToken || !tokens.refreshToken) return null;
      return tokens;
    } catch {
      return null;
    }
  }

  /** Refresh in the background shortly before expiry, so an idle console still works after an hour. */
  private schedule(): void {
    if (this.timer) clearTimeout(this.timer);
    if (!this.tokens || typeof setTimeout === "undefined") return;
    const wait = Math.max(this.tokens.expiresAt - this.margin - this.now(), 30_000);
    this.timer = setTimeout(() => void this.refresh().catch(() => undefined), wait);
  }

  /** Start the background refresh for tokens kept from an earlier visit. */
  resume(): void {
    if (this.tokens) this.schedule();
  }

  private emit(): void {
    const claims = this.claims;
    for (const listener of this.listeners) listener(claims);
  }
}
