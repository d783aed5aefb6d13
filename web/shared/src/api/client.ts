/** The API client: openapi-fetch over the schema generated from schemas/openapi.json (`make schemas`), so
 * no page hand-writes a request or response type. Every call carries the signed-in user's ID token. */
import createClient, { type Middleware } from "openapi-fetch";

import { savedLocale, type AppLocale } from "../i18n/index";
import type { components, paths } from "./schema";
import { validationMessage } from "./validation";

export type { components, paths } from "./schema";
export type Schemas = components["schemas"];

/** The API's error body (DESIGN.md): `{"error": {"code", "message", "details"}}`. */
export interface ApiErrorBody {
  error: {
    code: string;
    message: string;
    details: Array<Record<string, unknown>>;
    request_id?: string;
  };
}

/** What a failed call becomes for a page: the status, the API's code and message, and per-field messages
 * from validation `details` (their `loc`, e.g. ["body", "phone"] -> "phone"), in the app's language
 * (`validationMessage`: "不能为空", not pydantic's English). */
export interface ApiProblem {
  status: number;
  code: string;
  message: string;
  fields: Record<string, string>;
  details: Array<Record<string, unknown>>;
}

export function isErrorBody(value: unknown): value is ApiErrorBody {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as ApiErrorBody).error === "object" &&
    typeof (value as ApiErrorBody).error?.code === "string"
  );
}

export function apiProblem(status: number, body: unknown, locale: AppLocale = savedLocale()): ApiProblem {
  if (!isErrorBody(body)) {
    return { status, code: status === 0 ? "network" : `http_${status}`, message: "", fields: {}, details: [] };
  }
  const fields: Record<string, string> = {};
  for (const detail of body.error.details ?? []) {
    const loc = Array.isArray(detail.loc) ? detail.loc.map(String) : [];
    // ["body", "phone"] and ["query", "limit"] name a field; the location part is not the field's name.
    const path = loc.filter((part, i) => !(i === 0 && ["body", "query", "path", "header"].includes(part)));
    const field = path.join(".");
    if (field && !(field in fields)) fields[field] = validationMessage(detail, locale);
  }
  return {
    status,
    code: body.error.code,
    message: body.error.message,
    fields,
    details: body.error.details ?? [],
  };
}

export class ApiFailure extends Error {
  constructor(readonly problem: ApiProblem) {
    super(problem.message || problem.code);
    this.name = "ApiFailure";
  }
}

export interface ApiOptions {
  baseUrl: string;
  /** The bearer token for the next call (null: the call goes without one and the API answers 401). */
  token: () => Promise<string | null>;
  /** Called on a 401: the session is gone (revoked, expired refresh token). */
  onUnauthorized?: () => void;
  fetcher?: (request: Request) => Promise<Response>;
}

export function createApi(options: ApiOptions) {
  const client = createClient<paths>({
    baseUrl: options.baseUrl.replace(/\/$/, ""),
    fetch: options.fetcher ?? ((request: Request) => fetch(request)),
  });
  const auth: Middleware = {
    async onRequest({ request }) {
      const token = await options.token();
      if (token) request.headers.set("Authorization", `Bearer ${token}`);
      return request;
    },
    onResponse({ response }) {
      if (response.status === 401) options.onUnauthorized?.();
      return response;
    },
  };
  client.use(auth);
  return client;
}

export type Api = ReturnType<typeof createApi>;

/** Unwrap an openapi-fetch result: the data, or an ApiFailure a page shows (error state or next to fields). */
export function must<T>(result: { data?: T; error?: unknown; response: Response }): T {
  if (result.error !== undefined || result.data === undefined) {
    throw new ApiFailure(apiProblem(result.response.status, result.error));
  }
  return result.data;
}

/** A network failure (no answer at all) as a problem, so pages treat it like any other failure. */
export function toProblem(error: unknown): ApiProblem {
  if (error instanceof ApiFailure) return error.problem;
  return { status: 0, code: "network", message: String(error), fields: {}, details: [] };
}
