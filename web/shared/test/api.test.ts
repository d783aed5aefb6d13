import { expect, it } from "vitest";

import { apiProblem, createApi, must } from "../src/api/index";

it("puts the API's validation details next to the fields they name", () => {
  const problem = apiProblem(422, {
    error: {
      code: "validation_failed",
      message: "request failed validation",
      details: [
        { loc: ["body", "phone"], type: "string_pattern_mismatch", msg: "bad phone" },
        { loc: ["query", "limit"], type: "less_than_equal", msg: "Input should be less than or equal to 100" },
      ],
    },
  });
  expect(problem.fields).toEqual({ phone: "格式不正确", limit: "不能大于 100" });
  expect(problem.code).toBe("validation_failed");
});

it("treats an answer without the error body as a plain HTTP failure", () => {
  expect(apiProblem(502, "<html>")).toMatchObject({ status: 502, code: "http_502", fields: {} });
});

it("sends the ID token as a bearer token and unwraps errors into ApiFailure", async () => {
  const seen: string[] = [];
  const api = createApi({
    baseUrl: "http://edge/api/",
    token: async () => "id-token",
    fetcher: async (request: Request) => {
      seen.push(`${request.url} ${request.headers.get("Authorization")}`);
      return new Response(JSON.stringify({ error: { code: "not_found", message: "ticket not found", details: [] } }), {
        status: 404,
        headers: { "Content-Type": "application/json" },
      });
    },
  });
  const result = await api.GET("/tickets/{ticket_id}", { params: { path: { ticket_id: "X" } } });
  expect(seen).toEqual(["http://edge/api/tickets/X Bearer id-token"]);
  expect(() => must(result)).toThrow("ticket not found");
});
