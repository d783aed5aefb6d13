export * from "./cognito";
