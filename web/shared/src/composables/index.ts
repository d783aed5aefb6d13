export * from "./usePagedList";
export * from "./useResource";
