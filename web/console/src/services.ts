/** The app's single sign-in and API client, made once config.json is loaded (see main.ts). */
import { CognitoAuth, createApi, type Api, type RuntimeConfig } from "@courtyard/shared";

import { mfaRequired } from "./mfa";

let auth: CognitoAuth | null = null;
let api: Api | null = null;

export function startServices(config: RuntimeConfig, onSignedOut: () => void): void {
  auth = new CognitoAuth({
    endpoint: config.cognitoEndpoint,
    clientId: config.userPoolClientId,
    mfaRequired: (claims) => mfaRequired(claims, config.requireMfa),
  });
  auth.resume();
  const signIn = auth;
  api = createApi({
    baseUrl: config.apiBase,
    token: () => signIn.idToken(),
    onUnauthorized: onSignedOut,
  });
}

export function useAuth(): CognitoAuth {
  if (!auth) throw new Error("startServices() has not run");
  return auth;
}

export function useApi(): Api {
  if (!api) throw new Error("startServices() has not run");
  return api;
}
