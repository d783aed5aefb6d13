export * from "./client";
export * from "./validation";
