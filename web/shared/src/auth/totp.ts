/** The otpauth:// URI an authenticator app reads from a QR code (Google Authenticator's Key URI format:
 * base32 secret, SHA-1, 6 digits, 30 s, as Cognito's software tokens). */
export function otpauthUri(secret: string, account: string, issuer = "Courtyard"): string {
  const label = `${encodeURIComponent(issuer)}:${encodeURIComponent(account)}`;
  const query = new URLSearchParams({ secret, issuer, algorithm: "SHA1", digits: "6", period: "30" });
  return `otpauth://totp/${label}?${query.toString()}`;
}

/** The secret in groups of four, easier to type by hand when the camera cannot read the code. */
export function groupedSecret(secret: string): string {
  return (secret.match(/.{1,4}/g) ?? []).join(" ");
}
