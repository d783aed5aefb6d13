/** The gate's verdict without network, and the signed revocation list it rests on.
 *
 * Online, the server judges every scan. Offline, the gate decides alone from what it kept while online:
 * - a gate serves one firm (its guard's account): it keeps that firm's public keys
 *   (`GET /passes/keys?tenant_id=`): the pass's signature, window, community and gate; a pass of another firm
 *   is refused as such (`other_firm`), before any signature is tried;
 * - the community's revocation list (`GET /gate/revocations`, a JWS of type `vrevoke+jwt` signed with the same
 *   keys, see functions/visitors/revocations.py): a listed pass is refused;
 * - single-use passes carry `ol` (seconds): the gate cannot count their entries against other gates, so it admits
 *   one only while its list is younger than that (by the list's signed `iat`); older, or no list: go online;
 * - the community's passes seen online and the scans queued here: a pass whose entries are used up is refused.
 * Pure but for WebCrypto: GuardPage.vue hands in what it kept and the clock. */
import { readClaims, tokenTenant, verifySigned, verifyToken, type Jwks, type PassClaims } from "../pass/token";

export const LIST_TYPE = "vrevoke+jwt";

export interface RevocationList {
  tid: string;
  sid: string;
  /** epoch seconds: when the server signed it (the age that bounds single-use passes) */
  iat: number;
  exp: number;
  rev: { pid: string; exp: number }[];
}

/** Why the gate refuses offline: the API's reason codes, plus `stale_list` (a single-use pass, list too old)
 * and `other_firm` (a pass another firm issued: this gate holds its own firm's keys only). */
export type OfflineReason =
  | "other_firm"
  | "bad_signature"
  | "expired"
  | "not_yet_valid"
  | "wrong_site"
  | "revoked"
  | "exhausted"
  | "stale_list";

export interface OfflineVerdict {
  reason: OfflineReason | null;
  claims: PassClaims | null;
}

/** The list's content when its signature verifies with `jwks`, it is a revocation list (never a pass) and it is
 * this community's; null otherwise (a forged or foreign list is ignored, never trusted). */
export async function readRevocationList(token: string, jwks: Jwks, siteId: string): Promise<RevocationList | null> {
  const signed = await verifySigned(token, jwks);
  if (!signed || signed.header.typ !== LIST_TYPE) return null;
  const body = signed.payload;
  if (body.v !== 1 || body.sid !== siteId || typeof body.tid !== "string") return null;
  if (typeof body.iat !== "number" || typeof body.exp !== "number" || !Array.isArray(body.rev)) return null;
  const rev = (body.rev as unknown[]).filter(
    (r): r is { pid: string; exp: number } =>
      typeof r === "object" && r !== null && typeof (r as { pid?: unknown }).pid === "string",
  );
  return { tid: body.tid, sid: body.sid, iat: body.iat, exp: body.exp, rev };
}

export interface OfflineInputs {
  /** the gate's firm (its guard's tenant) and that firm's kept keys */
  tenantId: string;
  keys: Jwks;
  siteId: string;
  gateId: string;
  /** the kept revocation list, already verified (readRevocationList), or null when the gate never got one */
  list: RevocationList | null;
  /** entries used and allowed of the pass as last seen online, when known */
  known?: { entries_used: number; entries_allowed: number };
  /** entries this gate admitted offline for the pass and has not uploaded yet */
  admittedHere: number;
  now: Date;
}

export async function offlineVerdict(token: string, inputs: OfflineInputs): Promise<OfflineVerdict> {
  const firm = tokenTenant(token);
  if (firm !== null && firm !== inputs.tenantId) return { reason: "other_firm", claims: readClaims(token) };
  const checked = await verifyToken(token, inputs.keys, { siteId: inputs.siteId, now: inputs.now });
  const claims = checked.claims;
  if (!checked.ok) return { reason: checked.reason, claims };
  if (claims === null) return { reason: "bad_signature", claims };
  if (claims.gates?.length && !claims.gates.includes(inputs.gateId)) return { reason: "wrong_site", claims };
  // A list of another firm or community says nothing about this pass.
  const list = inputs.list && inputs.list.tid === claims.tid && inputs.list.sid === claims.sid ? inputs.list : null;
  if (list?.rev.some((r) => r.pid === claims.pid)) return { reason: "revoked", claims };
  if (typeof claims.ol === "number") {
    const age = Math.floor(inputs.now.getTime() / 1000) - (list?.iat ?? Number.NEGATIVE_INFINITY);
    if (age > claims.ol) return { reason: "stale_list", claims };
  }
  const known = inputs.known;
  if (known && known.entries_used + inputs.admittedHere >= known.entries_allowed) return { reason: "exhausted", claims };
  return { reason: null, claims };
}

const KEPT = "courtyard.gate.revocations";

/** Keep the community's list (the signed token: it is verified again whenever it is read). */
export function keepRevocations(siteId: string, token: string, storage: Pick<Storage, "setItem"> = localStorage): void {
  storage.setItem(`${KEPT}.${siteId}`, token);
}

export function keptRevocations(siteId: string, storage: Pick<Storage, "getItem"> = localStorage): string | null {
  return storage.getItem(`${KEPT}.${siteId}`);
}
