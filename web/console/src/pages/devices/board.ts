/** The alarm board's rules of attention (pure, so the page only polls and draws): what stays on top, what is
 * new since the last poll, and the beep a new critical alarm makes. */
import type { Schemas } from "@courtyard/shared";

export type Alarm = Schemas["AlarmOut"];
export type Kind = Schemas["DeviceKind"];

export const KINDS: readonly Kind[] = ["elevator", "water_pressure", "smoke", "heat", "leak", "pump", "power_meter", "camera", "gate"];

/** Every 12 s: inside the 10-15 s a control room expects, and a few calls a minute per open console. */
export const POLL_MS = 12_000;

const SEVERITY_RANK: Record<string, number> = { critical: 0, major: 1, minor: 2, warning: 3 };

/** An unacknowledged critical alarm: it stays on top, highlighted, until someone acknowledges it. */
export function isUrgent(alarm: Alarm): boolean {
  return alarm.severity === "critical" && alarm.status === "active";
}

/** Urgent first, then the other unacknowledged ones by severity, then acknowledged; newest first within. */
export function ordered(alarms: readonly Alarm[]): Alarm[] {
  const group = (a: Alarm) => (isUrgent(a) ? 0 : a.status === "active" ? 1 : 2);
  return [...alarms].sort(
    (a, b) =>
      group(a) - group(b) ||
      (SEVERITY_RANK[a.severity] ?? 9) - (SEVERITY_RANK[b.severity] ?? 9) ||
      b.raised_at.localeCompare(a.raised_at),
  );
}

/** The urgent alarms not seen by an earlier poll (the first poll counts too: an alarm already waiting when
 * the board opens has not been heard by this person yet). */
export function freshUrgent(seen: ReadonlySet<string>, alarms: readonly Alarm[]): Alarm[] {
  return alarms.filter((a) => isUrgent(a) && !seen.has(a.alarm_id));
}

let audio: AudioContext | null = null;

/** Three short beeps through Web Audio (no sound file to ship). A browser that refuses audio before the
 * person has touched the page stays silent; the highlighted row still says it. */
export function beep(): void {
  try {
    audio ??= new AudioContext();
    void audio.resume();
    const start = audio.currentTime;
    for (let i = 0; i < 3; i++) {
      const tone = audio.createOscillator();
      const gain = audio.createGain();
      tone.type = "square";
      tone.frequency.value = 880;
      gain.gain.setValueAtTime(0.15, start + i * 0.35);
      gain.gain.setValueAtTime(0, start + i * 0.35 + 0.2);
      tone.connect(gain).connect(audio.destination);
      tone.start(start + i * 0.35);
      tone.stop(start + i * 0.35 + 0.2);
    }
  } catch (error) {
    console.warn("alarm sound unavailable", error);
  }
}
