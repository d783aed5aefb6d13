/** vue-i18n with the app's messages over the shared ones; zh-CN first, the user's choice remembered. */
import { savedLocale, saveLocale, sharedMessages, type AppLocale } from "@courtyard/shared";
import { Locale } from "vant";
import enUS from "vant/es/locale/lang/en-US";
import zhCN_vant from "vant/es/locale/lang/zh-CN";
import { createI18n } from "vue-i18n";

import en from "./locales/en.json";
import zhCN from "./locales/zh-CN.json";

export const i18n = createI18n({
  legacy: false,
  locale: savedLocale(),
  fallbackLocale: "zh-CN",
  messages: {
    "zh-CN": { ...sharedMessages["zh-CN"], ...zhCN },
    en: { ...sharedMessages.en, ...en },
  },
});

function vantLocale(locale: AppLocale): void {
  if (locale === "en") Locale.use("en-US", enUS);
  else Locale.use("zh-CN", zhCN_vant);
}
vantLocale(savedLocale());

export function switchLocale(locale: AppLocale): void {
  i18n.global.locale.value = locale;
  saveLocale(locale);
  vantLocale(locale);
}
