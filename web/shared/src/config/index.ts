/** Run-time settings of a deployment, read once from the origin's /config.json (never baked into a build):
 * written by the local edge from the local cloud's info, and in AWS by infra/deploy_web.py from the stack. */
export interface RuntimeConfig {
  /** Where the apps call the REST API, on their own origin (CloudFront and the local edge strip it). */
  apiBase: string;
  region: string;
  userPoolId: string;
  userPoolClientId: string;
  /** Cognito's JSON API: the regional endpoint in AWS, `/_cognito/` through the local edge. */
  cognitoEndpoint: string;
  stage: string;
  /** The time zone times are shown in until the firm's own is known (GET /me). */
  timeZone: string;
  /** Managers, finance and platform operators must sign in with TOTP (the stack's RequireMfa, off in the
   * local cloud; absent: required). */
  requireMfa?: boolean;
  /** Residents' 「微信一键登录」: WeChat's web OAuth page (open.weixin.qq.com/connect/oauth2/authorize; the local
   * cloud's persona) and the official account's app id; no app id, no WeChat button. */
  wechatAuthorizeUrl?: string;
  wechatAppId?: string;
}

export const DEFAULT_TIME_ZONE = "Asia/Shanghai";

let loaded: RuntimeConfig | null = null;

export async function loadConfig(fetcher: typeof fetch = fetch, url = "/config.json"): Promise<RuntimeConfig> {
  if (loaded) return loaded;
  const response = await fetcher(url, { cache: "no-store" });
  if (!response.ok) throw new Error(`config.json: HTTP ${response.status}`);
  const raw = (await response.json()) as Partial<RuntimeConfig>;
  for (const key of ["apiBase", "region", "userPoolId", "userPoolClientId", "cognitoEndpoint"] as const) {
    if (!raw[key]) throw new Error(`config.json: ${key} is missing`);
  }
  loaded = { stage: "dev", timeZone: DEFAULT_TIME_ZONE, ...raw } as RuntimeConfig;
  return loaded;
}

export function config(): RuntimeConfig {
  if (!loaded) throw new Error("loadConfig() must run before the app mounts");
  return loaded;
}

/** For tests: forget the cached settings. */
export function resetConfig(): void {
  loaded = null;
}
