/** The API's validation details in plain words for the person at the form, in the app's language.
 *
 * A 422 carries pydantic's `type` (string_too_short, missing, ...) and its English `msg`; a clerk or an
 * elderly resident should read "不能为空" next to the field, not "String should have at least 1 character".
 * The limit a message needs (a length, a bound) comes from `ctx` when the API sends it, else from the number
 * in pydantic's message, whose wording pydantic keeps stable ("at least 3 characters"). */
import type { AppLocale } from "../i18n/index";

export interface ValidationDetail {
  loc?: unknown;
  type?: unknown;
  msg?: unknown;
  ctx?: unknown;
}

type Words = (limit: string) => string;
interface Entry {
  zh: Words;
  en: Words;
  /** the ctx key holding the limit the words need */
  limit?: string;
}

const numberInput: Entry = { zh: () => "请输入数字", en: () => "Enter a number" };
const integerInput: Entry = { zh: () => "请输入整数", en: () => "Enter a whole number" };
const dateInput: Entry = { zh: () => "日期格式不正确", en: () => "Enter a valid date" };
const timeInput: Entry = { zh: () => "时间格式不正确", en: () => "Enter a valid time" };
const choice: Entry = { zh: () => "请从选项中选择", en: () => "Choose one of the options" };

const MESSAGES: Record<string, Entry> = {
  missing: { zh: () => "必填", en: () => "Required" },
  string_too_short: {
    limit: "min_length",
    zh: (n) => (n === "1" ? "不能为空" : `至少 ${n} 个字`),
    en: (n) => (n === "1" ? "Must not be empty" : `At least ${n} characters`),
  },
  string_too_long: { limit: "max_length", zh: (n) => `最多 ${n} 个字`, en: (n) => `At most ${n} characters` },
  too_short: {
    limit: "min_length",
    zh: (n) => (n === "1" ? "请至少选择一项" : `请至少选择 ${n} 项`),
    en: (n) => (n === "1" ? "Choose at least one" : `Choose at least ${n}`),
  },
  too_long: { limit: "max_length", zh: (n) => `最多 ${n} 项`, en: (n) => `At most ${n} items` },
  string_pattern_mismatch: { zh: () => "格式不正确", en: () => "The format is not right" },
  string_type: { zh: () => "请输入文字", en: () => "Enter text" },
  greater_than_equal: { limit: "ge", zh: (n) => `不能小于 ${n}`, en: (n) => `Must be at least ${n}` },
  greater_than: { limit: "gt", zh: (n) => `必须大于 ${n}`, en: (n) => `Must be more than ${n}` },
  less_than_equal: { limit: "le", zh: (n) => `不能大于 ${n}`, en: (n) => `Must be at most ${n}` },
  less_than: { limit: "lt", zh: (n) => `必须小于 ${n}`, en: (n) => `Must be less than ${n}` },
  multiple_of: { limit: "multiple_of", zh: (n) => `必须是 ${n} 的倍数`, en: (n) => `Must be a multiple of ${n}` },
  decimal_max_places: { limit: "decimal_places", zh: (n) => `最多 ${n} 位小数`, en: (n) => `At most ${n} decimal places` },
  int_parsing: integerInput,
  int_type: integerInput,
  int_from_float: integerInput,
  float_parsing: numberInput,
  float_type: numberInput,
  decimal_parsing: numberInput,
  decimal_type: numberInput,
  bool_parsing: { zh: () => "请选择是或否", en: () => "Choose yes or no" },
  bool_type: { zh: () => "请选择是或否", en: () => "Choose yes or no" },
  enum: choice,
  literal_error: choice,
  date_parsing: dateInput,
  date_type: dateInput,
  date_from_datetime_parsing: dateInput,
  datetime_parsing: timeInput,
  datetime_type: timeInput,
  datetime_from_date_parsing: timeInput,
  time_parsing: timeInput,
  time_type: timeInput,
  timezone_aware: timeInput,
  url_parsing: { zh: () => "网址格式不正确", en: () => "Enter a valid web address" },
  url_type: { zh: () => "网址格式不正确", en: () => "Enter a valid web address" },
  uuid_parsing: { zh: () => "编号格式不正确", en: () => "Enter a valid id" },
  extra_forbidden: { zh: () => "不能填写此项", en: () => "This field is not allowed" },
  json_invalid: { zh: () => "内容格式不正确", en: () => "The content is not valid" },
  // The API's own rules, reported in the same shape (functions/*/service.py).
  unknown_building: { zh: () => "没有这栋楼", en: () => "No such building" },
  room_format: { zh: () => "房号格式不正确", en: () => "The room number is not in a known format" },
  in_the_past: { zh: () => "不能早于本月", en: () => "This month or later" },
  room_outside_building: { zh: () => "房号不属于这栋楼", en: () => "The room is not in this building" },
  window: { zh: () => "有效时间不正确", en: () => "The time window is not right" },
  sla_target: { zh: () => "时限目标不正确", en: () => "The time target is not right" },
};

/** The API's own value checks (pydantic `value_error`, written in the features' models.py) a form meets most,
 * by the words they use; any other one reads 填写的内容不正确 in Chinese and keeps its words in English. */
const VALUE_ERRORS: ReadonlyArray<readonly [RegExp, string]> = [
  [/mobile number/i, "请输入正确的手机号（11 位，以 1 开头）"],
  [/ID number/i, "身份证号不正确（18 位，最后一位可为 X）"],
  [/email/i, "邮箱地址不正确"],
  [/a name is required/i, "请填写姓名"],
  [/needs a description/i, "请填写问题描述"],
  [/needs a location/i, "请填写具体位置"],
  [/needs a note/i, "请填写说明"],
  [/area/i, "面积不正确（平方米，最多两位小数）"],
  [/username must be/i, "用户名为 3-128 位小写字母、数字或 . _ @ + -"],
  [/time ?zone/i, "时区不正确"],
  [/end must be after start/i, "结束时间必须晚于开始时间"],
];

function limitOf(detail: ValidationDetail, key: string | undefined): string | null {
  if (!key) return null;
  const ctx = detail.ctx;
  if (typeof ctx === "object" && ctx !== null && key in ctx) {
    const value = (ctx as Record<string, unknown>)[key];
    if (typeof value === "number" || typeof value === "string") return String(value);
  }
  const found = typeof detail.msg === "string" ? /-?\d+(\.\d+)?/.exec(detail.msg) : null;
  return found ? found[0] : null;
}

/** One validation detail as a plain message in the given language. An unknown type, or one whose limit
 * cannot be found, says the value is not right (zh) or keeps pydantic's words (en), never nothing. */
export function validationMessage(detail: ValidationDetail, locale: AppLocale): string {
  const type = typeof detail.type === "string" ? detail.type : "";
  const english = typeof detail.msg === "string" ? detail.msg.replace(/^Value error, /, "") : "";
  const entry = MESSAGES[type];
  if (entry) {
    const limit = limitOf(detail, entry.limit);
    if (!entry.limit || limit !== null) return locale === "en" ? entry.en(limit ?? "") : entry.zh(limit ?? "");
  }
  if (locale === "en") return english || "This value is not valid";
  const known = type === "value_error" ? VALUE_ERRORS.find(([words]) => words.test(english)) : undefined;
  return known ? known[1] : "填写的内容不正确";
}
