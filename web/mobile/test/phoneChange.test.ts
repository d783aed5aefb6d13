/** 更换手机号: each refusal of the API becomes its plain-Chinese line under the field (phoneChange.ts), and
 * every key it names exists in both languages. */
import { describe, expect, it } from "vitest";

import en from "../src/locales/en.json";
import zh from "../src/locales/zh-CN.json";
import { codeRefusal, phoneDigits, sendRefusal } from "../src/phoneChange";

const problem = (status: number, type?: string) => ({
  status,
  code: "x",
  message: "api words",
  fields: {},
  details: type ? [{ loc: ["body", "code"], type, msg: type }] : [],
});

describe("the code step", () => {
  it("names a wrong code, an expired code, too many tries and a number that cannot be used", () => {
    expect(codeRefusal(problem(422, "code_wrong"))).toBe("phone.codeWrong");
    expect(codeRefusal(problem(422, "code_expired"))).toBe("phone.codeExpired");
    expect(codeRefusal(problem(429))).toBe("phone.codeLocked");
    expect(codeRefusal(problem(409))).toBe("phone.unavailable");
    expect(codeRefusal(problem(0))).toBe("api.network");
    expect(codeRefusal(problem(500))).toBeNull();
  });
});

describe("the number step", () => {
  it("names a malformed number and too many requests, nothing else", () => {
    expect(sendRefusal(problem(422))).toBe("phone.phoneInvalid");
    expect(sendRefusal(problem(429))).toBe("phone.tooMany");
    expect(sendRefusal(problem(500))).toBeNull();
  });

  it("reads the number without spaces, dashes or +86", () => {
    expect(phoneDigits("+86 138-1234 5678")).toBe("13812345678");
    expect(phoneDigits("13812345678")).toBe("13812345678");
  });
});

describe("the words", () => {
  it("exist in Chinese and English for every refusal", () => {
    for (const key of ["codeWrong", "codeExpired", "codeLocked", "unavailable", "phoneInvalid", "tooMany"]) {
      expect((zh.phone as Record<string, string>)[key]).toBeTruthy();
      expect((en.phone as Record<string, string>)[key]).toBeTruthy();
    }
    expect(Object.keys(en.phone).sort()).toEqual(Object.keys(zh.phone).sort());
  });
});
