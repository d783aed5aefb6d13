/** Keep a screen current without a tap: reload when the phone shows it again (back from another app, screen
 * on: `visibilitychange`, `focus`) and when a push arrives while it is open. */
import { onBeforeUnmount, onMounted } from "vue";

import { onPushMessage } from "../push";

export function useFreshness(reload: () => Promise<void> | void, onPush: (data: Record<string, string>) => boolean = () => true): void {
  let stopPush: () => void = () => undefined;
  const whenShown = (): void => {
    if (document.visibilityState === "visible") void reload();
  };
  onMounted(() => {
    document.addEventListener("visibilitychange", whenShown);
    window.addEventListener("focus", whenShown);
    stopPush = onPushMessage((data) => {
      if (onPush(data)) void reload();
    });
  });
  onBeforeUnmount(() => {
    document.removeEventListener("visibilitychange", whenShown);
    window.removeEventListener("focus", whenShown);
    stopPush();
  });
}
