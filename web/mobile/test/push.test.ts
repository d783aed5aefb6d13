/** Registering the phone for push: the token from the source goes to POST /me/push-endpoints as an FCM
 * device once; a deployment without push settings, a browser without push and a refusal register nothing;
 * nothing prompts unless asked. */
import { createApi } from "@courtyard/shared";
import { describe, expect, it } from "vitest";

import { enablePush, renewPush, type PushEnvironment, type PushSettings } from "../src/push";

const SETTINGS: PushSettings = {
  firebase: { apiKey: "key", projectId: "courtyard", messagingSenderId: "123", appId: "1:123:web:abc" },
  vapidKey: "BPublicVapidKey",
};

function phone(permission: NotificationPermission, answer: NotificationPermission = "granted") {
  const calls: Array<{ method: string; url: string; body: unknown }> = [];
  const stored = new Map<string, string>();
  let prompts = 0;
  let token = "fcm-token-1";
  const api = createApi({
    baseUrl: "https://app.example/api",
    token: async () => "id-token",
    fetcher: async (request) => {
      calls.push({ method: request.method, url: request.url, body: await request.json() });
      return new Response(JSON.stringify({ endpoint_id: "E1", platform: "fcm", created_at: "2026-12-07T08:00:00Z" }), {
        status: 201,
        headers: { "Content-Type": "application/json" },
      });
    },
  });
  const env = (settings: PushSettings | null = SETTINGS, supported = true): PushEnvironment => ({
    settings,
    notifications: supported
      ? {
          permission,
          requestPermission: async () => {
            prompts += 1;
            permission = answer;
            return answer;
          },
        }
      : null,
    worker: async () => ({}) as ServiceWorkerRegistration,
    storage: { getItem: (k) => stored.get(k) ?? null, setItem: (k, v) => void stored.set(k, v) },
    tokenSource: async (settings) => {
      expect(settings).toBe(SETTINGS);
      return token;
    },
  });
  return { api, env, calls, prompts: () => prompts, newToken: (t: string) => (token = t) };
}

describe("enablePush", () => {
  it("asks once and registers the device's FCM token with the API", async () => {
    const p = phone("default");
    expect(await enablePush(p.api, "tech-1", p.env())).toBe("on");
    expect(p.prompts()).toBe(1);
    expect(p.calls).toEqual([
      { method: "POST", url: "https://app.example/api/me/push-endpoints", body: { platform: "fcm", token: "fcm-token-1" } },
    ]);
  });

  it("registers nothing when the person says no", async () => {
    const p = phone("default", "denied");
    expect(await enablePush(p.api, "tech-1", p.env())).toBe("denied");
    expect(p.calls).toEqual([]);
  });

  it("registers nothing without push settings or without browser push", async () => {
    const p = phone("default");
    expect(await enablePush(p.api, "tech-1", p.env(null))).toBe("unconfigured");
    expect(await enablePush(p.api, "tech-1", p.env(SETTINGS, false))).toBe("unsupported");
    expect(p.prompts()).toBe(0);
    expect(p.calls).toEqual([]);
  });
});

describe("renewPush", () => {
  it("never prompts: a phone not yet asked stays as it is", async () => {
    const p = phone("default");
    expect(await renewPush(p.api, "tech-1", p.env())).toBe("ask");
    expect(p.prompts()).toBe(0);
    expect(p.calls).toEqual([]);
  });

  it("registers an allowed phone once per token and again when FCM changes the token", async () => {
    const p = phone("granted");
    expect(await renewPush(p.api, "tech-1", p.env())).toBe("on");
    expect(await renewPush(p.api, "tech-1", p.env())).toBe("on");
    expect(p.calls).toHaveLength(1);
    p.newToken("fcm-token-2");
    await renewPush(p.api, "tech-1", p.env());
    expect(p.calls.map((c) => (c.body as { token: string }).token)).toEqual(["fcm-token-1", "fcm-token-2"]);
    // Another account signing in on the same phone registers it for them too.
    await renewPush(p.api, "tech-2", p.env());
    expect(p.calls).toHaveLength(3);
  });
});
