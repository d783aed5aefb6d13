/** A repair photo goes straight to S3 by the presigned POST the tickets API hands out (its fields first, the
 * file last as `file`), then the API is asked to confirm it, which checks the stored object. */
import { must } from "@courtyard/shared";

import { useApi } from "../services";

const TYPES = ["image/jpeg", "image/png", "image/webp", "image/heic"] as const;
type PhotoType = (typeof TYPES)[number];

export function photoType(file: File): PhotoType {
  return (TYPES as readonly string[]).includes(file.type) ? (file.type as PhotoType) : "image/jpeg";
}

export async function uploadPhoto(ticketId: string, file: File): Promise<void> {
  const api = useApi();
  const slot = must(
    await api.POST("/tickets/{ticket_id}/photos", {
      params: { path: { ticket_id: ticketId } },
      body: { content_type: photoType(file) },
    }),
  );
  const form = new FormData();
  for (const [name, value] of Object.entries(slot.upload.fields)) form.append(name, value);
  form.append("file", file);
  const stored = await fetch(slot.upload.url, { method: "POST", body: form });
  if (!stored.ok) throw new Error(`photo upload: HTTP ${stored.status}`);
  must(
    await api.POST("/tickets/{ticket_id}/photos/{photo_id}/confirm", {
      params: { path: { ticket_id: ticketId, photo_id: slot.photo_id } },
    }),
  );
}
