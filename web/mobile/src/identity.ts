/** Who the resident is: the ONE module of the app that knows how people sign in, sign up and out.
 *
 * Today it is Cognito through web/shared's auth module; residents' identity moves to Courtyard's own issuer
 * later (the cost issue), and then only this file changes: pages use these functions and `identity.claims`,
 * never the auth client itself. */
import { AuthError, CognitoAuth, type Claims, type RuntimeConfig, type SignInResult } from "@courtyard/shared";
import { shallowRef, type ShallowRef } from "vue";

let auth: CognitoAuth | null = null;

/** The signed-in account's claims (null: nobody), reactive for the router and the pages. */
export const claims: ShallowRef<Claims | null> = shallowRef(null);

export function startIdentity(config: RuntimeConfig): void {
  auth = new CognitoAuth({ endpoint: config.cognitoEndpoint, clientId: config.userPoolClientId });
  auth.resume();
  claims.value = auth.claims;
  auth.onChange((next) => (claims.value = next));
}

function client(): CognitoAuth {
  if (!auth) throw new Error("startIdentity() has not run");
  return auth;
}

export { AuthError };
export type { SignInResult };

export const signIn = (username: string, password: string): Promise<SignInResult> => client().signIn(username, password);
export const completeNewPassword = (username: string, session: string, password: string): Promise<SignInResult> =>
  client().completeNewPassword(username, session, password);
export const signUp = (username: string, password: string, email: string, name?: string) =>
  client().signUp(username, password, email, name);
export const confirmSignUp = (username: string, code: string): Promise<void> => client().confirmSignUp(username, code);
export const signOut = (): Promise<void> => client().signOut();
/** The bearer token of the next API call (refreshed when due); null when signed out. */
export const token = (): Promise<string | null> => client().idToken();
/** A new token now: accepting an invitation gives the account its firm and role in the next token. */
export async function renew(): Promise<void> {
  await client().refresh();
}

/** A key that names the account on this phone (for settings remembered per account). */
export function accountKey(): string | null {
  return claims.value?.sub || null;
}

export function isResident(): boolean {
  return claims.value?.roles.includes("resident") ?? false;
}
