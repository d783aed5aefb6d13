/** vue-i18n with the console's messages over the shared ones; zh-CN first, the user's choice remembered.
 * Chinese is in the first load; English (about 10 kB gzip) is fetched only when someone chooses it. */
import { savedLocale, saveLocale, sharedMessages, type AppLocale } from "@courtyard/shared";
import { createI18n } from "vue-i18n";

import zhCN from "./locales/zh-CN.json";

const chinese = { ...sharedMessages["zh-CN"], ...zhCN };
/** Both locales have the same keys (the Chinese file is the schema). */
type Messages = typeof chinese;
const messages: Record<string, Messages> = { "zh-CN": chinese };

export const i18n = createI18n({ legacy: false, locale: "zh-CN" as string, fallbackLocale: "zh-CN", messages });

const loading = new Map<AppLocale, Promise<void>>();

/** The locale's messages, loaded once (zh-CN is always there). */
export function loadLocale(locale: AppLocale): Promise<void> {
  if (i18n.global.availableLocales.includes(locale)) return Promise.resolve();
  let load = loading.get(locale);
  if (!load) {
    load = import("./locales/en.json").then((en) => {
      i18n.global.setLocaleMessage(locale, { ...sharedMessages.en, ...en.default } as unknown as Messages);
    });
    // A failed load (offline) may be tried again by the next choice.
    load.catch(() => loading.delete(locale));
    loading.set(locale, load);
  }
  return load;
}

/** Show the console in `locale`; the messages arrive first, so no screen shows keys meanwhile. */
export async function switchLocale(locale: AppLocale): Promise<void> {
  await loadLocale(locale);
  i18n.global.locale.value = locale;
  saveLocale(locale);
}

/** At start: the locale the browser remembered, English loaded before the first screen if that was it. */
export async function startLocale(): Promise<void> {
  const locale = savedLocale();
  if (locale !== "zh-CN") await switchLocale(locale).catch(() => undefined);
}
