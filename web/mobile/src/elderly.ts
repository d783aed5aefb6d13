/** 老人模式: one switch, remembered per account on this phone (localStorage keyed by the account), that puts
 * the `elderly` class on <html>: body text at least 20 px, touch targets at least 48 px, stronger contrast
 * (styles.css), and a home of four big tiles. `speak` reads text aloud in Chinese (语音播报). */
import { ref, watch } from "vue";

import { accountKey, claims } from "./identity";

const PREFIX = "courtyard.elderly.";
// Chosen on the sign-in page, before any account is known (a new phone): kept for this phone, and taken on by
// the account that signs in unless it has said otherwise.
const SIGNED_OUT = "courtyard.elderly.signedOut";

export const elderly = ref(false);

function apply(on: boolean): void {
  elderly.value = on;
  document.documentElement.classList.toggle("elderly", on);
}

function load(): void {
  const key = accountKey();
  const beforeSignIn = localStorage.getItem(SIGNED_OUT) === "1";
  if (key === null) return apply(beforeSignIn);
  const chosen = localStorage.getItem(PREFIX + key);
  if (chosen === null && beforeSignIn) localStorage.setItem(PREFIX + key, "1");
  apply(chosen === "1" || (chosen === null && beforeSignIn));
}

export function startElderlyMode(): void {
  load();
  // Another account on the same phone has its own choice; signing out returns to the normal look.
  watch(claims, load);
}

export function setElderly(on: boolean): void {
  const key = accountKey();
  if (key !== null) localStorage.setItem(PREFIX + key, on ? "1" : "0");
  if (key === null || !on) {
    if (on) localStorage.setItem(SIGNED_OUT, "1");
    else localStorage.removeItem(SIGNED_OUT);
  }
  apply(on);
}

export function canSpeak(): boolean {
  return typeof window !== "undefined" && "speechSynthesis" in window;
}

/** Read the texts aloud in order, in Chinese unless the app is in English. */
export function speak(texts: string[], lang = document.documentElement.lang || "zh-CN"): void {
  if (!canSpeak()) return;
  window.speechSynthesis.cancel();
  for (const text of texts.map((t) => t.trim()).filter(Boolean)) {
    const utterance = new SpeechSynthesisUtterance(text);
    utterance.lang = lang === "en" ? "en-US" : "zh-CN";
    utterance.rate = 0.9; // a little slower: the people who use this mode asked for it
    window.speechSynthesis.speak(utterance);
  }
}

/** The screen's key texts: whatever the page marks with data-speak, in document order. */
export function keyTexts(root: ParentNode = document): string[] {
  return Array.from(root.querySelectorAll<HTMLElement>("[data-speak]"))
    .filter((el) => el.offsetParent !== null)
    .map((el) => el.dataset.speak || el.innerText);
}
