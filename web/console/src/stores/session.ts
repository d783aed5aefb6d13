/** Who is signed in (from the ID token) and their firm (GET /me): name and time zone for the header. */
import { must, setTimeZone, type Claims, type Schemas } from "@courtyard/shared";
import { defineStore } from "pinia";
import { computed, ref } from "vue";

import { useApi, useAuth } from "../services";

export const useSession = defineStore("session", () => {
  const claims = ref<Claims | null>(useAuth().claims);
  const me = ref<Schemas["MeOut"] | null>(null);

  useAuth().onChange((next) => {
    claims.value = next;
    if (!next) me.value = null;
  });

  const signedIn = computed(() => claims.value !== null);
  const roles = computed(() => claims.value?.roles ?? []);
  const firmName = computed(() => me.value?.tenant?.name ?? "");
  const displayName = computed(() => me.value?.person?.name ?? claims.value?.username ?? "");

  async function loadMe(): Promise<void> {
    if (!claims.value || me.value) return;
    me.value = must(await useApi().GET("/me"));
    if (me.value.tenant?.timezone) setTimeZone(me.value.tenant.timezone);
  }

  async function signOut(): Promise<void> {
    await useAuth().signOut();
  }

  return { claims, me, signedIn, roles, firmName, displayName, loadMe, signOut };
});
