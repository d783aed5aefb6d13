/** Element Plus components the console uses, registered one by one so the bundle carries only these
 * (add a component here when a page needs it). */
import {
  ElCheckbox, ElCheckboxGroup, ElDialog, ElInputNumber, ElProgress, ElRadio, ElRadioButton, ElRadioGroup, ElSwitch,
  ElTabPane, ElTabs,
  ElAlert, ElAside, ElButton, ElCard, ElCol, ElContainer, ElDescriptions, ElDescriptionsItem, ElDropdown,
  ElDropdownItem, ElDropdownMenu, ElEmpty, ElForm, ElFormItem, ElHeader, ElIcon, ElInput, ElMain, ElMenu, ElMenuItem,
  ElOption, ElResult, ElRow, ElSelect, ElSkeleton, ElTable, ElTableColumn, ElTag,
  ElCheckbox, ElDatePicker, ElDialog, ElImage, ElPopconfirm, ElRadio, ElRadioButton, ElRadioGroup, ElStep, ElSteps,
  ElTabPane, ElTabs, ElTimeline, ElTimelineItem,
} from "element-plus";
// Community, import wizard, staff and settings pages.
import {
  ElCheckbox, ElCheckboxGroup, ElDialog, ElInputNumber, ElPopconfirm, ElProgress, ElRadio, ElRadioButton,
  ElRadioGroup, ElStep, ElSteps, ElSwitch, ElTimeSelect,
} from "element-plus";
import type { App } from "vue";

import "element-plus/dist/index.css";

const components = [
  ElCheckbox, ElCheckboxGroup, ElDialog, ElInputNumber, ElProgress, ElRadio, ElRadioButton, ElRadioGroup, ElSwitch,
  ElTabPane, ElTabs,
  ElAlert, ElAside, ElButton, ElCard, ElCol, ElContainer, ElDescriptions, ElDescriptionsItem, ElDropdown,
  ElDropdownItem, ElDropdownMenu, ElEmpty, ElForm, ElFormItem, ElHeader, ElIcon, ElInput, ElMain, ElMenu, ElMenuItem,
  ElOption, ElResult, ElRow, ElSelect, ElSkeleton, ElTable, ElTableColumn, ElTag,
  ElCheckbox, ElCheckboxGroup, ElDatePicker, ElDialog, ElImage, ElInputNumber, ElPopconfirm, ElProgress, ElRadio,
  ElRadioButton, ElRadioGroup, ElStep, ElSteps, ElSwitch, ElTabPane, ElTabs, ElTimeSelect, ElTimeline,
  ElTimelineItem,
];

export function useElement(app: App): void {
  for (const component of components) app.use(component);
}
