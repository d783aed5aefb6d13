/** A refusal the API names by code is shown in the app's own plain words (useFormErrors.ts): a resident whose
 * link to the home just ended (403 residency_ended) reads why in Chinese, not the API's English. */
import { describe, expect, it, vi } from "vitest";

vi.stubGlobal("localStorage", { getItem: () => null, setItem: () => undefined, removeItem: () => undefined });

const { refusalText } = await import("../src/composables/useFormErrors");

const problem = (code: string, message = "api words") => ({ status: 403, code, message, fields: {}, details: [] });

describe("refusals in the app's words", () => {
  it("names an ended residency in plain Chinese", () => {
    expect(refusalText(problem("residency_ended"))).toBe(
      "您已不再登记住在这套房屋，不能再为它报修或邀请访客。如有疑问，请联系物业服务中心。",
    );
  });

  it("keeps the API's message for a code it has no words for", () => {
    expect(refusalText(problem("forbidden", "only residents issue passes"))).toBe("only residents issue passes");
  });
});
