/** The gate's offline memory, in localStorage (it survives a reload and a dead network):
 * - the scans verified offline, waiting for `POST /gate/scans/batch` (the server reconciles them by scan_id, so
 *   uploading one twice changes nothing and a lost answer is simply retried);
 * - the community's passes seen while online (name, unit, entries), so an offline allow can name the visitor and
 *   a single-use pass is not admitted twice by the same gate while the network is down. */

export interface QueuedScan {
  site_id: string;
  gate_id: string;
  scan_id: string;
  token: string;
  direction: "in" | "out";
  scanned_at: string;
  verdict: "allow" | "deny";
}

export interface KnownPass {
  visitor_name: string;
  unit_label: string | null;
  entries_allowed: number;
  entries_used: number;
}

const QUEUE = "courtyard.gate.queue";
const KNOWN = "courtyard.gate.passes";

function read<T>(key: string, fallback: T): T {
  try {
    const raw = localStorage.getItem(key);
    return raw ? (JSON.parse(raw) as T) : fallback;
  } catch {
    return fallback;
  }
}

export function queued(): QueuedScan[] {
  return read<QueuedScan[]>(QUEUE, []);
}

export function enqueue(scan: QueuedScan): void {
  localStorage.setItem(QUEUE, JSON.stringify([...queued(), scan]));
}

/** Forget the scans the server has taken (by id: scans queued meanwhile stay). */
export function dequeue(scanIds: Iterable<string>): void {
  const done = new Set(scanIds);
  localStorage.setItem(QUEUE, JSON.stringify(queued().filter((s) => !done.has(s.scan_id))));
}

export function knownPasses(): Record<string, KnownPass> {
  return read<Record<string, KnownPass>>(KNOWN, {});
}

export function rememberPasses(passes: Record<string, KnownPass>): void {
  localStorage.setItem(KNOWN, JSON.stringify(passes));
}

/** Entries this gate admitted offline for a pass and has not uploaded yet. */
export function offlineAdmits(passId: string, claimsOf: (token: string) => string | null): number {
  return queued().filter((s) => s.verdict === "allow" && s.direction === "in" && claimsOf(s.token) === passId).length;
}
