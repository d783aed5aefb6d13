/** What the staff forms edit; the page turns it into StaffCreate or StaffUpdate. */
import type { Schemas } from "@courtyard/shared";

export interface StaffDraft {
  name: string;
  phone: string;
  email: string;
  username: string;
  roles: Schemas["Role"][];
  /** sites served whole; a zone's building list is kept as it was when editing */
  sites: string[];
  skills: Schemas["Skill"][];
  on_duty: boolean;
}

/** Roles a firm's manager gives (platform_admin and resident are not staff roles). */
export const STAFF_ROLES: Schemas["Role"][] = ["manager", "service_desk", "technician", "finance", "guard"];
export const SKILLS: Schemas["Skill"][] = ["plumbing", "electrical", "elevator", "cleaning", "security", "general"];

export function blank(): StaffDraft {
  return { name: "", phone: "", email: "", username: "", roles: ["technician"], sites: [], skills: [], on_duty: false };
}
