/** The month's figures as the Money page draws them, pure: the channels and age buckets in a fixed order
 * (each shown, 0 when none, as the API answers them), and a bar chart's option for ECharts. */

import { formatYuan } from "@courtyard/shared";

export const CHANNELS = ["wechat", "alipay", "cash", "pos", "bank_transfer", "stripe", "sandbox"] as const;
export const AGES = ["0-30", "31-90", "90+"] as const;

export interface Bar {
  name: string;
  /** fen */
  value: number;
}

/** A bar per entry: the data stay integer fen, the axis and the tooltip say yuan. */
export function barOption(bars: readonly Bar[], color: string) {
  return {
    // Drawn at once: a figure growing into place reads as a different number in a screenshot or a glance.
    animation: false,
    grid: { left: 64, right: 16, top: 16, bottom: 32 },
    tooltip: { trigger: "axis" as const, valueFormatter: (fen: unknown) => (Number.isInteger(fen) ? formatYuan(fen as number) : "") },
    xAxis: { type: "category" as const, data: bars.map((b) => b.name), axisLabel: { fontSize: 12, interval: 0 } },
    // Steps of at least one yuan, so an empty chart does not label every line ¥0.
    yAxis: { type: "value" as const, minInterval: 100, axisLabel: { formatter: (fen: number) => `¥${Math.round(fen / 100)}` } },
    series: [{ type: "bar" as const, data: bars.map((b) => b.value), itemStyle: { color }, barMaxWidth: 36 }],
  };
}
