/** Who must sign in with an authenticator app (TOTP): the roles the API refuses without it
 * (layers/courtyard/courtyard/mfa.py MFA_REQUIRED_ROLES; tests/unit/web/test_console_mfa.py keeps them equal),
 * when the stage requires it (config.json requireMfa, the stack's RequireMfa). */
import type { Claims } from "@courtyard/shared";

export const MFA_ROLES: readonly string[] = ["manager", "finance", "platform_admin"];

export function mfaRequired(claims: Pick<Claims, "roles">, required: boolean | undefined): boolean {
  return required !== false && claims.roles.some((role) => MFA_ROLES.includes(role));
}
