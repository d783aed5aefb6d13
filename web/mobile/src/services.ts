/** The app's API client, made once config.json is loaded (see main.ts); its token comes from identity.ts. */
import { createApi, type Api, type RuntimeConfig } from "@courtyard/shared";

import { token } from "./identity";

let api: Api | null = null;

export function startApi(config: RuntimeConfig, onSignedOut: () => void): void {
  api = createApi({ baseUrl: config.apiBase, token, onUnauthorized: onSignedOut });
}

export function useApi(): Api {
  if (!api) throw new Error("startApi() has not run");
  return api;
}

/** A fresh Idempotency-Key per user action: a retried request (lost answer) is the same action. */
export function actionKey(): string {
  return crypto.randomUUID();
}
