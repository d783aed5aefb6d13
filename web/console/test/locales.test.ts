/** The two languages say the same things: the same keys, the same {placeholders}. */
import { expect, it } from "vitest";

import en from "../src/locales/en.json";
import zhCN from "../src/locales/zh-CN.json";

type Tree = { [key: string]: string | Tree };

function flat(tree: Tree, prefix = ""): Map<string, string> {
  const out = new Map<string, string>();
  for (const [key, value] of Object.entries(tree)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (typeof value === "string") out.set(path, value);
    else for (const [k, v] of flat(value, path)) out.set(k, v);
  }
  return out;
}

const zh = flat(zhCN as Tree);
const english = flat(en as Tree);
const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

it("has every key in both languages", () => {
  expect([...english.keys()].sort()).toEqual([...zh.keys()].sort());
});

it("keeps the placeholders of each message", () => {
  for (const [key, text] of zh) expect(placeholders(english.get(key) ?? ""), key).toEqual(placeholders(text));
});

it("leaves no Chinese message empty", () => {
  for (const [key, text] of zh) expect(text.trim(), key).not.toBe("");
});
