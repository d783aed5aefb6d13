"""Sign-in hooks of the user pool: the pre-token trigger that marks tokens of users with TOTP on."""
