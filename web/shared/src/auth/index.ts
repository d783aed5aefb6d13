export * from "./cognito";
export * from "./totp";
