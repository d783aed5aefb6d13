import { describe, expect, it } from "vitest";

import { apiProblem, validationMessage } from "../src/api/index";

const zh = (detail: Record<string, unknown>) => validationMessage(detail, "zh-CN");
const en = (detail: Record<string, unknown>) => validationMessage(detail, "en");

describe("validationMessage", () => {
  it("says an empty required text is empty, in Chinese first", () => {
    const detail = { loc: ["body", "title"], type: "string_too_short", msg: "String should have at least 1 character" };
    expect(zh(detail)).toBe("不能为空");
    expect(en(detail)).toBe("Must not be empty");
  });

  it("takes the limit from ctx when the API sends it, else from pydantic's message", () => {
    expect(zh({ type: "string_too_short", msg: "whatever", ctx: { min_length: 3 } })).toBe("至少 3 个字");
    expect(zh({ type: "string_too_short", msg: "String should have at least 6 characters" })).toBe("至少 6 个字");
    expect(zh({ type: "string_too_long", msg: "String should have at most 200 characters" })).toBe("最多 200 个字");
    expect(en({ type: "string_too_long", ctx: { max_length: 200 } })).toBe("At most 200 characters");
  });

  it("names the bound of a number", () => {
    expect(zh({ type: "greater_than_equal", msg: "Input should be greater than or equal to 0" })).toBe("不能小于 0");
    expect(zh({ type: "greater_than", msg: "Input should be greater than 0" })).toBe("必须大于 0");
    expect(zh({ type: "less_than_equal", msg: "Input should be less than or equal to 100" })).toBe("不能大于 100");
    expect(en({ type: "less_than", ctx: { lt: 24 } })).toBe("Must be less than 24");
  });

  it("says what is wrong with a missing field, a format, a choice, a number and a date", () => {
    expect(zh({ type: "missing", msg: "Field required" })).toBe("必填");
    expect(zh({ type: "string_pattern_mismatch", msg: "String should match pattern '^1\\d{10}$'" })).toBe("格式不正确");
    expect(zh({ type: "enum", msg: "Input should be 'repair' or 'complaint'" })).toBe("请从选项中选择");
    expect(zh({ type: "int_parsing", msg: "Input should be a valid integer" })).toBe("请输入整数");
    expect(zh({ type: "date_from_datetime_parsing", msg: "Input should be a valid date" })).toBe("日期格式不正确");
    expect(zh({ type: "too_short", msg: "List should have at least 1 item after validation, not 0" })).toBe("请至少选择一项");
  });

  it("says the API's own checks a form meets most in Chinese", () => {
    const phone = { type: "value_error", msg: "Value error, phone must be a mainland mobile number or an international number" };
    expect(zh(phone)).toBe("请输入正确的手机号（11 位，以 1 开头）");
    expect(zh({ type: "value_error", msg: "Value error, not a mainland China mobile number (11 digits starting with 13-19)" })).toBe(
      "请输入正确的手机号（11 位，以 1 开头）",
    );
    expect(zh({ type: "value_error", msg: "Value error, a repair or complaint needs a description" })).toBe("请填写问题描述");
    // A fee item's new price or retirement from a month already past (payments' fee_versions).
    expect(zh({ type: "in_the_past", msg: "a change takes effect from this month on at the earliest, not 2020-01" })).toBe("不能早于本月");
    // Only value errors are read by their words: a pattern on a phone field is still a format problem.
    expect(zh({ type: "string_pattern_mismatch", msg: "String should match pattern '^1[3-9]\\d{9}$' (mobile number)" })).toBe(
      "格式不正确",
    );
  });

  it("never leaves pydantic's English on a Chinese screen, and never says nothing", () => {
    expect(zh({ type: "value_error", msg: "Value error, the change names no field" })).toBe("填写的内容不正确");
    expect(en({ type: "value_error", msg: "Value error, phone is not a mainland mobile number" })).toBe(
      "phone is not a mainland mobile number",
    );
    // A bound that cannot be found (a domain rule's own words) is still a plain sentence.
    expect(zh({ type: "less_than_equal", msg: "too long" })).toBe("填写的内容不正确");
    expect(en({})).toBe("This value is not valid");
  });
});

it("apiProblem puts the plain message next to each field in the app's language", () => {
  const body = {
    error: {
      code: "validation_failed",
      message: "request failed validation",
      details: [
        { loc: ["body", "title"], type: "string_too_short", msg: "String should have at least 1 character" },
        { loc: ["body", "amount_fen"], type: "greater_than_equal", msg: "Input should be greater than or equal to 1" },
      ],
    },
  };
  expect(apiProblem(422, body, "zh-CN").fields).toEqual({ title: "不能为空", amount_fen: "不能小于 1" });
  expect(apiProblem(422, body, "en").fields).toEqual({ title: "Must not be empty", amount_fen: "Must be at least 1" });
});
