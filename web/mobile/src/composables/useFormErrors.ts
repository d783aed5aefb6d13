/** A form's errors from the API: validation `details` next to the fields they name, the rest on top.
 *   const errors = useFormErrors();
 *   try { must(await api.POST(...)) } catch (e) { errors.capture(e) }
 *   <VanField :error-message="errors.fields.value.phone"> ... <p v-if="errors.message.value" role="alert">
 */
import { toProblem } from "@courtyard/shared";
import { ref } from "vue";

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
    message.value = Object.keys(problem.fields).length ? "" : problem.message || problem.code;
  }

  return { fields, message, clear, capture };
}
