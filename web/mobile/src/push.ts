/** Push for the phone: this device's Firebase Cloud Messaging token, registered with `POST /me/push-endpoints`
 * (platform `fcm`), so the notifications sender's SNS platform endpoint reaches it (the technician's screen
 * registers, for new jobs). The service worker (`public/push-sw.js`) shows the message and tells the open
 * pages, which reload what they show.
 *
 * A deployment turns push on by adding `push` to `/config.json` (the Firebase web app and its VAPID key:
 * public values, see `infra/deploy_web.py`); without it (the local cloud: no Google) nothing is asked. The
 * browser's permission prompt comes from a tap (`enablePush`); a phone that said yes before registers silently
 * (`renewPush`): FCM tokens change, and `POST /me/push-endpoints` with the same token is a no-op. */
import { config, must, type Api, type RuntimeConfig } from "@courtyard/shared";

export interface PushSettings {
  /** The Firebase web app (apiKey, projectId, messagingSenderId, appId): public identifiers, not secrets. */
  firebase: { apiKey: string; projectId: string; messagingSenderId: string; appId: string };
  /** The FCM web push certificate's public key (VAPID). */
  vapidKey: string;
}

export type PushState = "unconfigured" | "unsupported" | "denied" | "ask" | "on";

/** How a token is obtained: Firebase's SDK in the app, a fake in unit tests. */
export type TokenSource = (settings: PushSettings, worker: ServiceWorkerRegistration) => Promise<string>;

export interface PushEnvironment {
  settings: PushSettings | null;
  notifications: { permission: NotificationPermission; requestPermission: () => Promise<NotificationPermission> } | null;
  worker: () => Promise<ServiceWorkerRegistration>;
  storage: Pick<Storage, "getItem" | "setItem">;
  tokenSource: TokenSource;
}

const firebaseToken: TokenSource = async (settings, worker) => {
  // Loaded only on a phone that turns push on: the first load stays small.
  const [{ initializeApp, getApps }, { getMessaging, getToken }] = await Promise.all([
    import("@firebase/app"),
    import("@firebase/messaging"),
  ]);
  const app = getApps().find((a) => a.name === "courtyard-push") ?? initializeApp(settings.firebase, "courtyard-push");
  return getToken(getMessaging(app), { vapidKey: settings.vapidKey, serviceWorkerRegistration: worker });
};

export function browserPush(): PushEnvironment {
  const supported = "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;
  return {
    settings: (config() as RuntimeConfig & { push?: PushSettings }).push ?? null,
    notifications: supported ? Notification : null,
    worker: () => navigator.serviceWorker.ready,
    storage: localStorage,
    tokenSource: firebaseToken,
  };
}

export function pushState(env: PushEnvironment): PushState {
  if (!env.settings) return "unconfigured";
  if (!env.notifications) return "unsupported";
  if (env.notifications.permission === "denied") return "denied";
  return env.notifications.permission === "granted" ? "on" : "ask";
}

const registeredKey = (account: string): string => `courtyard.push.${account}`;

/** Register this device for `account` (the permission must be granted); the same token twice is one call. */
async function register(api: Api, account: string, env: PushEnvironment): Promise<PushState> {
  if (!env.settings) return "unconfigured";
  const token = await env.tokenSource(env.settings, await env.worker());
  if (env.storage.getItem(registeredKey(account)) === token) return "on";
  must(await api.POST("/me/push-endpoints", { body: { platform: "fcm", token } }));
  env.storage.setItem(registeredKey(account), token);
  return "on";
}

/** The tap on 开启提醒: the browser asks, and a yes registers the device. */
export async function enablePush(api: Api, account: string, env: PushEnvironment = browserPush()): Promise<PushState> {
  const state = pushState(env);
  if (state !== "ask" && state !== "on") return state;
  const answer = await env.notifications!.requestPermission();
  if (answer !== "granted") return answer === "denied" ? "denied" : "ask";
  return register(api, account, env);
}

/** At start: a phone already allowed registers again silently (its token may have changed); never prompts. */
export async function renewPush(api: Api, account: string, env: PushEnvironment = browserPush()): Promise<PushState> {
  const state = pushState(env);
  return state === "on" ? register(api, account, env) : state;
}

/** Called with the push's data whenever the service worker receives one while a page is open. */
export function onPushMessage(listener: (data: Record<string, string>) => void): () => void {
  if (!("serviceWorker" in navigator)) return () => undefined;
  const handle = (event: MessageEvent): void => {
    const message = event.data as { type?: string; data?: Record<string, string> } | null;
    if (message?.type === "courtyard-push") listener(message.data ?? {});
  };
  navigator.serviceWorker.addEventListener("message", handle);
  // addEventListener (unlike onmessage) does not open the worker's message queue by itself.
  navigator.serviceWorker.startMessages();
  return () => navigator.serviceWorker.removeEventListener("message", handle);
}
