/** How a notice reads in a list: its title in the console's language (zh-CN first), and its audience. */
import type { Schemas } from "@courtyard/shared";

type Notice = Schemas["NoticeOut"];

export function noticeTitle(notice: Notice, locale: string): string {
  const text = notice.content[locale] ?? notice.content["zh-CN"] ?? Object.values(notice.content)[0];
  return text?.title ?? "—";
}

export const STATUS_TAG: Record<Schemas["NoticeStatus"], "info" | "warning" | "primary" | "success"> = {
  scheduled: "info",
  queued: "warning",
  sending: "primary",
  sent: "success",
  cancelled: "info",
};
