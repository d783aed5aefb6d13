/** A form's errors from the API: validation `details` next to the fields they name, the rest on top.
 *   const errors = useFormErrors();
 *   try { must(await api.POST(...)) } catch (e) { errors.capture(e) }
 *   <VanField :error-message="errors.fields.value.phone"> ... <p v-if="errors.message.value" role="alert">
 */
import { toProblem, type ApiProblem } from "@courtyard/shared";
import { ref } from "vue";

import { i18n } from "../i18n";

/** The app's own words for a refusal the API names by code (`refusal.<code>`), else the API's message. */
export function refusalText(problem: ApiProblem): string {
  const key = `refusal.${problem.code}`;
  return i18n.global.te(key) ? i18n.global.t(key) : problem.message || problem.code;
}

export function useFormErrors() {
  const fields = ref<Record<string, string>>({});
  const message = ref("");

  function clear(): void {
    fields.value = {};
    message.value = "";
  }

  function capture(error: unknown): void {
    const problem = toProblem(error);
    fields.value = problem.fields;
    message.value = Object.keys(problem.fields).length ? "" : refusalText(problem);
  }

  return { fields, message, clear, capture };
}
