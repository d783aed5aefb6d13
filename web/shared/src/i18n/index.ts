/** Locale choice shared by the apps: zh-CN first, English switchable, remembered per browser. */
export const LOCALES = ["zh-CN", "en"] as const;
export type AppLocale = (typeof LOCALES)[number];
export const DEFAULT_LOCALE: AppLocale = "zh-CN";

const KEY = "courtyard.locale";

export function savedLocale(storage: Pick<Storage, "getItem"> | undefined = globalThis.localStorage): AppLocale {
  const saved = storage?.getItem(KEY);
  return (LOCALES as readonly string[]).includes(saved ?? "") ? (saved as AppLocale) : DEFAULT_LOCALE;
}

export function saveLocale(locale: AppLocale, storage: Pick<Storage, "setItem"> | undefined = globalThis.localStorage): void {
  storage?.setItem(KEY, locale);
  if (typeof document !== "undefined") document.documentElement.lang = locale;
}

/** Messages every app shares (sign-in errors, API problems), merged under each app's own. */
export const sharedMessages = {
  "zh-CN": {
    auth: {
      errors: {
        wrongPassword: "用户名或密码不正确",
        userNotFound: "该用户不存在",
        userExists: "该用户名已被注册",
        notConfirmed: "账号尚未验证，请输入邮件中的验证码",
        passwordPolicy: "新密码不符合要求：至少 10 位，含小写字母和数字",
        tooManyAttempts: "尝试次数过多，请稍后再试",
        sessionExpired: "登录已过期，请重新登录",
        wrongCode: "验证码不正确或已过期，请重新输入",
        network: "网络连接失败，请检查网络后重试",
        unknown: "登录失败，请稍后再试",
      },
    },
    api: {
      network: "网络连接失败，请检查网络后重试",
      forbidden: "无权访问",
      notFound: "未找到",
      failed: "请求失败",
      retry: "重试",
    },
  },
  en: {
    auth: {
      errors: {
        wrongPassword: "Wrong user name or password",
        userNotFound: "No such user",
        userExists: "This user name is taken",
        notConfirmed: "The account is not confirmed yet: enter the code from the mail",
        passwordPolicy: "The new password must have at least 10 characters, lower-case letters and digits",
        tooManyAttempts: "Too many attempts; try again later",
        sessionExpired: "Your session expired; sign in again",
        wrongCode: "The code is wrong or has expired; enter it again",
        network: "Network error; check the connection and retry",
        unknown: "Sign-in failed; try again later",
      },
    },
    api: {
      network: "Network error; check the connection and retry",
      forbidden: "Access denied",
      notFound: "Not found",
      failed: "Request failed",
      retry: "Retry",
    },
  },
} as const;
