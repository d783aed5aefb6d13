/** What the home shows, from the API only: the resident's units (GET /me, the primary unit's label), unread
 * messages, open tickets (their own), and what is due (issued bills of their units, late fees included).
 *
 * Each of the four parts is kept on the phone for its freshness window (homeCache.ts): an open asks only for
 * the parts that are due, so a second look within minutes costs no request at all. `keptSince` says when the
 * oldest figure shown was fetched, whenever one comes from the phone instead of the API. */
import { must, type Api, type Schemas } from "@courtyard/shared";
import { watch } from "vue";

import { accountKey, claims } from "../identity";
import { onPushMessage } from "../push";
import { router } from "../router";
import { useApi } from "../services";
import {
  billsDue,
  drop,
  forgetAll,
  fresh,
  generation,
  HOME_PAGE,
  keep,
  learnedFrom,
  openRepairs,
  PAGE_PARTS,
  partsWrittenBy,
  type HomePart,
} from "./homeCache";

export { OPEN_STATUSES } from "./homeCache";

interface Profile {
  units: Schemas["ResidentUnitOut"][];
  /** the primary unit's label as people say it ("1栋1单元101室"), not its room key */
  primaryLabel: string;
}

interface Parts {
  profile: Profile;
  unread: number;
  repairs: number;
  bills: { due: number; count: number };
}

export interface HomeData {
  units: Schemas["ResidentUnitOut"][];
  primary: Schemas["ResidentUnitOut"] | null;
  primaryLabel: string;
  unread: number;
  openTickets: number;
  due: number;
  dueBills: number;
  /** When the oldest figure shown (unread, repairs, due) was fetched, if one came from the phone's store;
   * null: every figure was fetched now. */
  keptSince: number | null;
  /** when this was put together */
  loadedAt: number;
}

const primaryOf = (units: Schemas["ResidentUnitOut"][]): Schemas["ResidentUnitOut"] | null =>
  units.find((u) => u.primary) ?? units[0] ?? null;

const FETCH: { [P in HomePart]: (api: Api) => Promise<Parts[P]> } = {
  async profile(api) {
    const me = must(await api.GET("/me"));
    const units = me.person?.units ?? [];
    const primary = primaryOf(units);
    const unit = primary ? must(await api.GET("/units/{unit_id}", { params: { path: { unit_id: primary.unit_id } } })) : null;
    return { units, primaryLabel: unit?.label ?? primary?.room ?? "" };
  },
  async unread(api) {
    return must(await api.GET("/inbox/unread-count")).unread;
  },
  async repairs(api) {
    return openRepairs(must(await api.GET("/tickets", { params: { query: { mine: true, limit: HOME_PAGE } } })).items);
  },
  async bills(api) {
    return billsDue(must(await api.GET("/bills", { params: { query: { limit: HOME_PAGE } } })).items);
  },
};

// One request per part at a time: the page's load and a focus event at the same moment share it.
const inflight = new Map<string, Promise<unknown>>();

async function part<P extends HomePart>(api: Api, account: string | null, name: P, force: boolean): Promise<{ value: Parts[P]; at: number | null }> {
  const kept = account && !force ? fresh<Parts[P]>(account, name) : null;
  if (kept) return { value: kept.value, at: kept.at };
  const key = `${account ?? ""}.${name}`;
  let pending = inflight.get(key) as Promise<Parts[P]> | undefined;
  if (!pending) {
    const since = generation();
    pending = FETCH[name](api)
      .then((value) => {
        // Kept unless dropped meanwhile (a payment landed while the bills were on their way); a profile
        // without a unit is not kept: a manager may add the person to one at any moment.
        const unitless = name === "profile" && (value as Profile).units.length === 0;
        if (account && since === generation() && !unitless) keep(account, name, value);
        return value;
      })
      .finally(() => inflight.delete(key));
    inflight.set(key, pending);
  }
  return { value: await pending, at: null };
}

let installed = false;

/** What the pages fetch anyway refreshes the home's parts (the bills page's list is the home's bills); the
 * app's writes drop what they change; a push drops the busy figures; signing out forgets everything. */
function install(api: Api): void {
  if (installed) return;
  installed = true;
  router.afterEach((to) => drop(...(PAGE_PARTS[String(to.name)] ?? [])));
  api.use({
    onResponse({ request, response }) {
      if (!response.ok) return response;
      const url = new URL(request.url);
      if (request.method !== "GET") {
        drop(...partsWrittenBy(request.method, url.pathname));
        return response;
      }
      const account = accountKey();
      const since = generation();
      void response
        .clone()
        .json()
        .then((body: unknown) => {
          const learned = learnedFrom(url.pathname, url.searchParams, body, request.headers.has("X-On-Behalf-Of"));
          if (!learned) return;
          if ("drop" in learned) drop(...learned.drop);
          else if (account && since === generation()) keep(account, learned.part, learned.value);
        })
        .catch(() => undefined);
      return response;
    },
  });
  onPushMessage(() => dropOnPush());
  watch(claims, (next) => {
    if (!next) forgetAll();
  });
}

/** A push message means news: the figures that change often are asked for again. */
export function dropOnPush(): void {
  drop("unread", "repairs", "bills");
}

export async function loadHome(options: { force?: boolean } = {}): Promise<HomeData> {
  const api = useApi();
  install(api);
  const account = accountKey();
  const force = options.force ?? false;
  const [profile, unread, repairs, bills] = await Promise.all([
    part(api, account, "profile", force),
    part(api, account, "unread", force),
    part(api, account, "repairs", force),
    part(api, account, "bills", force),
  ]);
  const kept = [unread.at, repairs.at, bills.at].filter((at): at is number => at !== null);
  return {
    units: profile.value.units,
    primary: primaryOf(profile.value.units),
    primaryLabel: profile.value.primaryLabel,
    unread: unread.value,
    openTickets: repairs.value,
    due: bills.value.due,
    dueBills: bills.value.count,
    keptSince: kept.length ? Math.min(...kept) : null,
    loadedAt: Date.now(),
  };
}
