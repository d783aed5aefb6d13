/* Push in the app's service worker (imported by the one vite-plugin-pwa generates). FCM hands the browser the
 * message the notifications sender published for the "GCM" platform: {notification: {title, body}, data}.
 * The open pages are told first (a technician's job list reloads at once), then the phone shows the message;
 * a tap brings the app forward, on the job when the message names one. */
self.addEventListener("push", (event) => {
  let message = {};
  try {
    message = event.data ? event.data.json() : {};
  } catch (_) {
    message = { notification: { body: event.data ? event.data.text() : "" } };
  }
  const note = message.notification || {};
  const data = message.data || {};
  event.waitUntil(
    (async () => {
      const pages = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
      for (const page of pages) page.postMessage({ type: "courtyard-push", data });
      await self.registration.showNotification(note.title || "社区服务", {
        body: note.body || "",
        data,
        lang: "zh-CN",
        tag: data.ticket_id || undefined,
        icon: "/m/icon.svg",
      });
    })(),
  );
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const ticket = (event.notification.data || {}).ticket_id;
  event.waitUntil(
    (async () => {
      const pages = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
      const onJobs = pages.find((p) => new URL(p.url).pathname.startsWith("/m/tech"));
      if (onJobs) {
        await onJobs.focus();
        if (ticket) await onJobs.navigate(`/m/tech/${encodeURIComponent(ticket)}`);
        return;
      }
      if (pages[0]) {
        await pages[0].focus();
        return;
      }
      await self.clients.openWindow("/m/");
    })(),
  );
});
