/** Element Plus components the console uses, registered one by one so the bundle carries only these
 * (add a component here when a page needs it). */
import {
  ElAlert, ElAside, ElButton, ElCard, ElCol, ElContainer, ElDescriptions, ElDescriptionsItem, ElDropdown,
  ElDropdownItem, ElDropdownMenu, ElEmpty, ElForm, ElFormItem, ElHeader, ElIcon, ElInput, ElMain, ElMenu, ElMenuItem,
  ElOption, ElResult, ElRow, ElSelect, ElSkeleton, ElTable, ElTableColumn, ElTag,
} from "element-plus";
// Community, import wizard, staff and settings pages.
import {
  ElCheckbox, ElCheckboxGroup, ElDialog, ElInputNumber, ElPopconfirm, ElProgress, ElRadio, ElRadioButton,
  ElRadioGroup, ElStep, ElSteps, ElSwitch, ElTimeSelect,
} from "element-plus";
import type { App } from "vue";

import "element-plus/dist/index.css";

const components = [
  ElAlert, ElAside, ElButton, ElCard, ElCol, ElContainer, ElDescriptions, ElDescriptionsItem, ElDropdown,
  ElDropdownItem, ElDropdownMenu, ElEmpty, ElForm, ElFormItem, ElHeader, ElIcon, ElInput, ElMain, ElMenu, ElMenuItem,
  ElOption, ElResult, ElRow, ElSelect, ElSkeleton, ElTable, ElTableColumn, ElTag,
  ElCheckbox, ElCheckboxGroup, ElDialog, ElInputNumber, ElPopconfirm, ElProgress, ElRadio, ElRadioButton,
  ElRadioGroup, ElStep, ElSteps, ElSwitch, ElTimeSelect,
];

export function useElement(app: App): void {
  for (const component of components) app.use(component);
}
