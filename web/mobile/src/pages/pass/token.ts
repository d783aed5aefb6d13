/** A pass token (compact JWS, ES256, see functions/visitors/tokens.py) read and verified in the browser.
 *
 * The visitor's page and an offline gate verify with the public keys of the token's firm
 * (`GET /passes/keys?tenant_id=`, JWKS) through WebCrypto: no network is needed once the keys are kept. The server stays the judge of revocation and
 * the entries count; the phone decides only what the signature and the window prove. */

export interface PassClaims {
  pid: string;
  tid: string;
  sid: string;
  nbf: number;
  exp: number;
  gates?: string[];
  /** single-use passes: how long (seconds) after its last revocation list a gate may admit it on its own */
  ol?: number;
}

export interface Jwk {
  kty: string;
  crv: string;
  x: string;
  y: string;
  kid: string;
  alg?: string;
  use?: string;
}

export interface Jwks {
  keys: Jwk[];
}

/** What the signature and the window say: valid, or why not (the API's reason codes). */
export type TokenVerdict =
  | { ok: true; claims: PassClaims }
  | { ok: false; reason: "bad_signature" | "expired" | "not_yet_valid" | "wrong_site"; claims: PassClaims | null };

function unb64url(text: string): Uint8Array {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) throw new Error("not base64url");
  const padded = text.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (text.length % 4)) % 4);
  const raw = atob(padded);
  const out = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
  return out;
}

function json(part: string): Record<string, unknown> {
  const value: unknown = JSON.parse(new TextDecoder().decode(unb64url(part)));
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new Error("not an object");
  return value as Record<string, unknown>;
}

/** The claims without checking anything (to show the window); null when it is not a pass token. */
export function readClaims(token: string): PassClaims | null {
  try {
    const [, payload, signature, ...rest] = token.trim().split(".");
    if (payload === undefined || signature === undefined || rest.length) return null;
    const body = json(payload);
    if (typeof body.pid !== "string" || typeof body.sid !== "string") return null;
    if (typeof body.nbf !== "number" || typeof body.exp !== "number") return null;
    return body as unknown as PassClaims;
  } catch {
    return null;
  }
}

const PASS_TYPE = "vpass+jwt";

/** The header and payload of a compact JWS whose ES256 signature verifies with one of `jwks`; null otherwise.
 * The algorithm is fixed, never taken from the token (as on the server). */
export async function verifySigned(
  token: string,
  jwks: Jwks,
): Promise<{ header: Record<string, unknown>; payload: Record<string, unknown> } | null> {
  const parts = token.trim().split(".");
  const [encodedHeader, encodedPayload, encodedSignature] = parts;
  if (parts.length !== 3 || !encodedHeader || !encodedPayload || !encodedSignature) return null;
  let header: Record<string, unknown>;
  let payload: Record<string, unknown>;
  try {
    header = json(encodedHeader);
    payload = json(encodedPayload);
  } catch {
    return null;
  }
  const jwk = jwks.keys.find((k) => k.kid === header.kid);
  if (header.alg !== "ES256" || !jwk) return null;
  try {
    const key = await crypto.subtle.importKey(
      "jwk",
      { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y, ext: true },
      { name: "ECDSA", namedCurve: "P-256" },
      false,
      ["verify"],
    );
    // JOSE's ES256 signature is the raw r || s pair, which is exactly WebCrypto's ECDSA format.
    const signature = unb64url(encodedSignature);
    const input = new TextEncoder().encode(`${encodedHeader}.${encodedPayload}`);
    const valid = await crypto.subtle.verify({ name: "ECDSA", hash: "SHA-256" }, key, signature as BufferSource, input);
    return valid ? { header, payload } : null;
  } catch {
    return null;
  }
}

/** Verify the signature against the JWKS and the window against `now`; optionally the community. */
export async function verifyToken(
  token: string,
  jwks: Jwks,
  options: { now?: Date; siteId?: string } = {},
): Promise<TokenVerdict> {
  const claims = readClaims(token);
  const signed = claims ? await verifySigned(token, jwks) : null;
  // A revocation list is signed with the same key: its type keeps it from passing for a pass.
  if (!claims || !signed || (signed.header.typ ?? PASS_TYPE) !== PASS_TYPE) {
    return { ok: false, reason: "bad_signature", claims: null };
  }
  const seconds = Math.floor((options.now ?? new Date()).getTime() / 1000);
  if (options.siteId && claims.sid !== options.siteId) return { ok: false, reason: "wrong_site", claims };
  if (seconds < claims.nbf) return { ok: false, reason: "not_yet_valid", claims };
  if (seconds >= claims.exp) return { ok: false, reason: "expired", claims };
  return { ok: true, claims };
}

/** The firm a token says it is of (unverified: only to choose whose keys verify it), from its header's
 * `tid` or its payload's, whichever it carries; null when it names none. */
export function tokenTenant(token: string): string | null {
  const [header, payload] = token.trim().split(".");
  for (const part of [header, payload]) {
    try {
      const tid = part ? json(part).tid : undefined;
      if (typeof tid === "string" && /^[0-9A-Za-z_-]{1,64}$/.test(tid)) return tid;
    } catch {
      // not JSON: try the other part
    }
  }
  return null;
}

/** Each firm signs its passes with its own keys: `GET /passes/keys?tenant_id=` answers that firm's only
 * (public, no account), and they are kept per firm for offline use. */
const KEYS_STORE = "courtyard.passKeys";

export async function passKeys(
  apiBase: string,
  tenantId: string | null | undefined,
  storage: Pick<Storage, "getItem" | "setItem"> = localStorage,
  fetcher: typeof fetch = (...args) => fetch(...args),
): Promise<Jwks | null> {
  if (!tenantId) return null;
  try {
    const query = new URLSearchParams({ tenant_id: tenantId });
    const response = await fetcher(`${apiBase.replace(/\/$/, "")}/passes/keys?${query.toString()}`, {
      headers: { Accept: "application/json" },
    });
    if (response.ok) {
      const jwks = (await response.json()) as Jwks;
      storage.setItem(`${KEYS_STORE}.${tenantId}`, JSON.stringify(jwks));
      return jwks;
    }
  } catch {
    // offline: the kept keys below
  }
  return keptKeys(tenantId, storage);
}

export function keptKeys(
  tenantId: string | null | undefined,
  storage: Pick<Storage, "getItem"> = localStorage,
): Jwks | null {
  const kept = tenantId ? storage.getItem(`${KEYS_STORE}.${tenantId}`) : null;
  if (!kept) return null;
  try {
    return JSON.parse(kept) as Jwks;
  } catch {
    return null;
  }
}
