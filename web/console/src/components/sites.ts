/** A community as a picker shows it (SitePicker). */
export interface SiteChoice {
  site_id: string;
  name: string;
}

/** Radio buttons up to this many communities (they fit on one line at 1440 px); a drop-down beyond. */
export const MAX_SITE_BUTTONS = 5;
