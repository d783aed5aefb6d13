export * from "./api/index";
export * from "./auth/index";
export * from "./config/index";
export * from "./format/index";
export * from "./i18n/index";
export * from "./composables/index";
