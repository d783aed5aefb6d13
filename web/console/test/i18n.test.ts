/** English is not in the first load: it arrives when chosen, and the console then speaks it. */
import { expect, it } from "vitest";

import { i18n, loadLocale, switchLocale } from "../src/i18n";

it("starts in Chinese with only the Chinese messages loaded", () => {
  expect(i18n.global.locale.value).toBe("zh-CN");
  expect(i18n.global.availableLocales).toEqual(["zh-CN"]);
  expect(i18n.global.t("menu.today")).toBe("今日概览");
});

it("loads English once when someone chooses it, then switches back", async () => {
  await switchLocale("en");
  expect(i18n.global.t("menu.today")).toBe("Today");
  expect(i18n.global.t("api.network")).toBe("Network error; check the connection and retry");
  await loadLocale("en"); // already there: no second load
  await switchLocale("zh-CN");
  expect(i18n.global.t("menu.today")).toBe("今日概览");
});
