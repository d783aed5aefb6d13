/** 更换手机号's answers to the API's refusals, as i18n keys of `phone.*` (the page shows them under the field).
 * The first step (POST /me/phone) is 202 for every well-formed number, free or taken: nothing here can tell
 * the two apart, because the API never does. */
import type { ApiProblem } from "@courtyard/shared";

const reasons = (problem: ApiProblem): Set<string> =>
  new Set(problem.details.map((d) => String((d as { type?: unknown }).type ?? "")));

/** Why the code was refused (POST /me/phone/confirm): a wrong or expired code is a 422 naming it, too many
 * wrong tries a 429, a number that cannot be the caller's a neutral 409. */
export function codeRefusal(problem: ApiProblem): string | null {
  const why = reasons(problem);
  if (why.has("code_wrong")) return "phone.codeWrong";
  if (why.has("code_expired")) return "phone.codeExpired";
  if (problem.status === 429) return "phone.codeLocked";
  if (problem.status === 409) return "phone.unavailable";
  if (problem.status === 0) return "api.network";
  return null; // the API's own message
}

/** Why no code was sent (POST /me/phone): a malformed number (422) or too many codes asked for (429). */
export function sendRefusal(problem: ApiProblem): string | null {
  if (problem.status === 429) return "phone.tooMany";
  if (problem.status === 422) return "phone.phoneInvalid";
  if (problem.status === 0) return "api.network";
  return null;
}

/** The number as typed, without spaces, dashes or the +86 prefix. */
export const phoneDigits = (text: string): string => text.replace(/[\s-]/g, "").replace(/^\+?86/, "");
